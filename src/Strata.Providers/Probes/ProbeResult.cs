namespace Strata.Providers.Probes;

/// <summary>The outcome of one probe: whether it passed and, when not, why.</summary>
public readonly record struct ProbeResult(bool Passed, string? Detail)
{
    public static ProbeResult Pass { get; } = new(true, null);

    /// <summary>True when the probe failed because it ran out of time, rather than on an answer or a refused connection.</summary>
    public bool TimedOut { get; init; }

    public static ProbeResult Fail(string detail) => new(false, detail);
}
