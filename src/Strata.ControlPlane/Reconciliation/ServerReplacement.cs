using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.Planning.State;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Replaces a server on purpose when something outside the reconciler must change what it runs on while nothing of it
/// runs: a restore swaps its volume's data. The work runs in the server's operation slot (<see cref="ServerOperations"/>),
/// so no pass takes the stopped server for dead and reports it failed; it is then terminated as a replaced server,
/// its volumes left for the replacement the tier launches.
/// </summary>
public sealed class ServerReplacement(
    ServerOperations operations, HealthMonitor health, ServerShutdown shutdown, ServerTermination termination, EventLog events, TimeProvider time)
{
    /// <summary>
    /// Stops <paramref name="server"/> (its stop hook, then signals), runs <paramref name="whileStopped"/>, and
    /// terminates it as replaced for <paramref name="reason"/> (e.g. <c>replaced by restore of snapshot ID</c>).
    /// Throws what <paramref name="whileStopped"/> or the stop threw; the server is then left as it is recorded.
    /// </summary>
    public async Task ReplaceAsync(DeploymentRuntime runtime, ServerState server, string reason, Func<CancellationToken, Task> whileStopped, CancellationToken ct)
    {
        // The slot swallows an operation's exception (it reports it as server.error); the caller needs it instead.
        var outcome = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = operations.Start(runtime, server.Name, async () =>
        {
            try
            {
                await StopAndReplaceAsync(runtime, server, reason, whileStopped, ct).ConfigureAwait(false);
                outcome.SetResult();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                outcome.SetException(ex);
            }
        });
        await outcome.Task.ConfigureAwait(false);
    }

    private async Task StopAndReplaceAsync(DeploymentRuntime runtime, ServerState server, string reason, Func<CancellationToken, Task> whileStopped, CancellationToken ct)
    {
        health.Stop(server.Name);
        await shutdown.StopAsync(runtime, server.Name, server.Tier, ct).ConfigureAwait(false);
        await whileStopped(ct).ConfigureAwait(false);

        // Only now may the tier launch the replacement and hand it the volumes: their new content is in place.
        var current = runtime.State.FindServer(server.Tier, server.Name) ?? server;
        var terminating = current with { State = ServerStatus.Terminating, Message = reason, Termination = TerminationCause.Replacement };
        await runtime.SetServerAsync(terminating, time.GetUtcNow(), ct).ConfigureAwait(false);
        await events.PublishAsync(runtime.Name, EventKinds.ServerReplaced, $"{server.Name} {reason}; a new server takes its place",
            EventSubject.OfServer(server.Tier, server.Name, current.State, ServerStatus.Terminating), cancellationToken: ct).ConfigureAwait(false);
        await termination.TerminateAsync(runtime, terminating, reason).ConfigureAwait(false);
    }
}
