using Strata.Providers.Probes;

namespace Strata.ControlPlane.Health;

/// <summary>The health verdict of a server after counting consecutive probe results against the thresholds.</summary>
public enum HealthVerdict { Unknown, Healthy, Unhealthy }

/// <summary>
/// Turns a stream of probe results into a verdict with hysteresis: <c>healthyAfter</c> passes in a row make a server
/// healthy, <c>unhealthyAfter</c> failures in a row make it unhealthy; anything in between keeps the last verdict.
/// Immutable: each result returns a new tracker.
/// </summary>
public sealed record HealthTracker(int HealthyAfter, int UnhealthyAfter)
{
    public HealthVerdict Verdict { get; init; } = HealthVerdict.Unknown;

    public int Passes { get; init; }

    public int Failures { get; init; }

    public string? LastFailure { get; init; }

    public HealthTracker Record(ProbeResult result)
    {
        if (result.Passed)
        {
            var passes = Passes + 1;
            return this with
            {
                Passes = passes,
                Failures = 0,
                Verdict = passes >= HealthyAfter ? HealthVerdict.Healthy : Verdict,
            };
        }

        var failures = Failures + 1;
        return this with
        {
            Passes = 0,
            Failures = failures,
            LastFailure = result.Detail,
            Verdict = failures >= UnhealthyAfter ? HealthVerdict.Unhealthy : Verdict,
        };
    }
}
