using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.Planning.State;
using Strata.Providers;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Takes a server out, in the order that loses no request and no data: probes stopped, drained from its load
/// balancers, stopped the way its image asks (<see cref="ServerShutdown"/>: the stop hook, then signals), its volumes
/// released as the cause of the termination says, and its record removed from the state.
/// </summary>
public sealed class ServerTermination(
    ICloudProvider provider, HealthMonitor health, LoadBalancerCoordinator loadBalancers, ServerShutdown shutdown, VolumeLifecycle volumes, EventLog events)
{
    public async Task TerminateAsync(DeploymentRuntime runtime, ServerState server, string reason)
    {
        var ct = CancellationToken.None;
        if (runtime.State.FindServer(server.Tier, server.Name) is null)
        {
            // Terminated already by an earlier operation in the same slot.
            return;
        }

        health.Stop(server.Name);
        await loadBalancers.DrainAsync(runtime, server.Name, reason, ct).ConfigureAwait(false);
        await shutdown.StopAsync(runtime, server.Name, server.Tier, ct).ConfigureAwait(false);

        // The cause is read from the state, where it was stored with the Terminating state, so a termination resumed
        // after a restart treats the volumes as the one that began it would have.
        var cause = runtime.State.FindServer(server.Tier, server.Name)?.Termination ?? server.Termination;
        await volumes.ReleaseAsync(runtime, server.Name, cause, ct).ConfigureAwait(false);
        await runtime.MutateAsync(s => s.WithoutServer(server.Name), ct).ConfigureAwait(false);
        await events.PublishAsync(runtime.Name, EventKinds.ServerState, $"{server.Name} terminated ({reason})", EventSubject.OfServer(server.Tier, server.Name, ServerStatus.Terminating, ServerStatus.Terminated), cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>Terminates a server the provider runs that the state does not know: nothing of Strata's is attached to it.</summary>
    public Task TerminateOrphanAsync(string server) => provider.TerminateAsync(server, null, CancellationToken.None);
}
