using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.Planning.State;
using Strata.Providers;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// A server that failed: recorded <see cref="ServerStatus.Failed"/> with its reason, its volumes handed over to its
/// replacement, and, when it never served, counted as a failed launch of its tier. Also the way back: a server failed
/// as gone whose process runs after all is recovered. Probes are not its business: whoever fails a server stops them
/// first (<see cref="ServerLifecycle.MarkFailedAsync"/> does).
/// </summary>
public sealed class ServerFailures(VolumeLifecycle volumes, LaunchBackoff backoff, EventLog events, TimeProvider time) : IServerFailures
{
    public async Task FailAsync(DeploymentRuntime runtime, ServerState server, string message, CancellationToken ct)
    {
        await runtime.SetServerAsync(server with { State = ServerStatus.Failed, Message = message }, time.GetUtcNow(), ct).ConfigureAwait(false);
        await volumes.HandOverAsync(runtime, server.Name, ct).ConfigureAwait(false);
        await events.PublishAsync(runtime.Name, EventKinds.ServerFailed, $"{server.Name} failed: {message}", EventSubject.OfServer(server.Tier, server.Name, server.State, ServerStatus.Failed), EventSeverity.Error, ct).ConfigureAwait(false);
        if (WasStable(server))
        {
            // A server that served and then died is replaced at once (after the recovery delay): only launches
            // that fail make a tier back off.
            return;
        }

        await backoff.CountAsync(runtime, server.Tier, message, ct).ConfigureAwait(false);
    }

    /// <summary>A server failed as gone whose process runs after all goes back to booting; returns it as recorded.</summary>
    public async Task<ServerState> RecoverAsync(DeploymentRuntime runtime, ServerState server, ServerInstance instance, CancellationToken ct)
    {
        var recovered = server with { State = ServerStatus.Booting, Failure = null, Message = null, Address = instance.Address, ProcessId = instance.ProcessId };
        await runtime.SetServerAsync(recovered, time.GetUtcNow(), ct).ConfigureAwait(false);
        await events.PublishAsync(runtime.Name, EventKinds.ServerState, $"{server.Name} runs after all (pid {instance.ProcessId}); recovered, booting",
            EventSubject.OfServer(server.Tier, server.Name, ServerStatus.Failed, ServerStatus.Booting),
            EventSeverity.Warning, ct).ConfigureAwait(false);
        return recovered;
    }

    /// <summary>A server that passed its health check once served; its death is an incident, not a bad launch.</summary>
    private static bool WasStable(ServerState server) => server.State is ServerStatus.InService or ServerStatus.Unhealthy;
}
