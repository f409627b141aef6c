using Strata.Providers.Probes;

namespace Strata.ControlPlane.Health;

/// <summary>
/// Health checks run where a server runs rather than from the control plane: a server on a host is probed by the
/// host's agent, which sends only the results that can change a verdict (see <see cref="ProbeReportFilter"/>). The
/// verdicts stay the control plane's (<see cref="HealthMonitor"/>): thresholds, grace, and what to do about them.
/// </summary>
public interface IHostedProbes
{
    /// <summary>A watch of the server's http or tcp check run on its host; null when the control plane probes it itself.</summary>
    IProbeWatch? Watch(string serverId, ProbeWatchSpec spec);
}

/// <summary>The results of a check run elsewhere, as they come; disposing it stops the check.</summary>
public interface IProbeWatch : IDisposable
{
    /// <summary>
    /// Why the check cannot be run there (an agent older than hosted checks), once its host said so; the control plane
    /// then probes the server itself. Null while it runs, or before the host answered.
    /// </summary>
    string? Refused { get; }

    /// <summary>
    /// True while the server's host is silent (unreachable, lost, or not connected): its results cannot come, and the
    /// control plane probes the server itself meanwhile, as it would one of its own machine. A wait for a result ends
    /// (with none) when the host goes silent.
    /// </summary>
    bool Silent => false;

    /// <summary>The next result, or null when none came within <paramref name="wait"/>: a server whose results stay alike sends none.</summary>
    Task<ProbeResult?> NextAsync(TimeSpan wait, CancellationToken ct);
}

/// <summary>The control plane's machine alone: it probes every server itself.</summary>
internal sealed class LocalProbes : IHostedProbes
{
    public IProbeWatch? Watch(string serverId, ProbeWatchSpec spec) => null;
}
