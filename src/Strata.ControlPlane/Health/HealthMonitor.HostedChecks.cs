using Strata.Planning.State;
using Strata.Providers.Probes;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Health;

/// <summary>
/// Checks run by the agent of the server's host, which sends a result only when it changes; the control plane probes
/// the server itself when it runs here, when the agent refuses the check, and while the host is silent.
/// </summary>
public sealed partial class HealthMonitor
{
    /// <summary>
    /// The server's next result: from its host, when the host's agent runs its check (null when none came, as results
    /// that stay alike are not sent), else from a probe of the control plane's: also while the host is silent, so that
    /// a host that lost power has its servers found failing as soon as it is unreachable, not only once it is lost.
    /// </summary>
    private async Task<ProbeResult?> NextResultAsync(HealthCheckSpec check, ProbeTarget target, TimeSpan delay, ProbeLoop loop, CancellationToken ct)
    {
        if (HostedWatch(check, target, loop) is { Silent: false } watch)
        {
            using var wake = loop.WakeOn(ct);
            ProbeResult? result = null;
            try
            {
                result = await watch.NextAsync(loop.State == ServerStatus.Booting ? check.Interval : HostedQuietWait, wake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Woken: the check changed in place.
            }
            finally
            {
                loop.Waited(time.GetUtcNow());
            }

            if (result is not null || (watch.Refused is null && !watch.Silent))
            {
                return result;
            }
        }

        return await ProbeAsync(check, target, delay, loop, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The watch of the loop's http or tcp check on the server's host, asked for again when the check changed; null
    /// when the control plane probes the server itself (it runs here, or its host's agent refused).
    /// </summary>
    private IProbeWatch? HostedWatch(HealthCheckSpec check, ProbeTarget target, ProbeLoop loop)
    {
        if (loop.Watched == check)
        {
            return loop.Watch is { Refused: null } watch ? watch : null;
        }

        loop.Watch?.Dispose();
        loop.Watched = check;
        loop.Watch = check.Kind switch
        {
            HealthCheckKind.Http => hosted.Watch(target.ServerId, WatchSpec(check, target, SocketProbeKind.Http, check.Port ?? target.DefaultPort ?? 80)),
            HealthCheckKind.Tcp when (check.Port ?? target.DefaultPort) is { } port => hosted.Watch(target.ServerId, WatchSpec(check, target, SocketProbeKind.Tcp, port)),
            _ => null,
        };
        return loop.Watch;
    }

    private ProbeWatchSpec WatchSpec(HealthCheckSpec check, ProbeTarget target, SocketProbeKind kind, int port) => new()
    {
        Kind = kind, Address = target.Address, Port = port, Path = check.Path ?? "/", Interval = check.Interval, Timeout = check.Timeout,
        BootInterval = schedule.BootInterval, HealthyAfter = check.HealthyAfter, UnhealthyAfter = check.UnhealthyAfter, SpreadStep = schedule.SpreadStep,
    };
}
