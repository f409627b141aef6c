using Strata.ControlPlane.Health;
using Strata.Planning.State;
using Strata.Providers;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// One server from launch to termination, as background operations a reconcile pass starts and does not wait for
/// (<see cref="ServerOperations"/>): launched (<see cref="ServerLaunch"/>) and then probed (<see cref="HealthMonitor"/>),
/// failed (<see cref="ServerFailures"/>) or recovered, and terminated with its stop hook (<see cref="ServerTermination"/>).
/// The pass records an intent (<see cref="ServerStatus.Pending"/>, <see cref="ServerStatus.Terminating"/>) in the
/// state before it starts the operation, so a restart repeats it.
/// </summary>
public sealed class ServerLifecycle(
    ServerOperations operations, ServerLaunch launch, ServerTermination termination, ServerFailures failures, LaunchBackoff backoff, HealthMonitor health)
{
    /// <summary>True while a launch or termination of the server is under way: it has an owner.</summary>
    public bool IsBusy(string server) => operations.IsBusy(server);

    /// <inheritdoc cref="ServerOperations.IsOwned"/>
    public bool IsOwned(string server, TimeSpan slack) => operations.IsOwned(server, slack);

    public void StartLaunch(DeploymentRuntime runtime, ServerState server) =>
        _ = operations.Start(runtime, server.Name, async () =>
        {
            try
            {
                if (await launch.LaunchAsync(runtime, server).ConfigureAwait(false) is { } launched)
                {
                    health.Ensure(runtime, launched.Server, launched.Instance);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A launch that throws leaves its server pending: without a wait it would be retried at once, in a loop.
                await backoff.CountAsync(runtime, server.Tier, ex.Message, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        });

    /// <summary>Starts terminating a server already recorded <see cref="ServerStatus.Terminating"/> with its cause.</summary>
    public void StartTermination(DeploymentRuntime runtime, ServerState server, string reason) =>
        _ = operations.Start(runtime, server.Name, () => termination.TerminateAsync(runtime, server, reason));

    /// <summary>Starts terminating a server the provider runs that the state does not name.</summary>
    public void StartOrphanTermination(DeploymentRuntime runtime, string server) =>
        _ = operations.Start(runtime, server, () => termination.TerminateOrphanAsync(server));

    /// <summary>Keeps a running server probed (and checked by its load balancers): idempotent.</summary>
    public void Probe(DeploymentRuntime runtime, ServerState server, ServerInstance instance) => health.Ensure(runtime, server, instance);

    /// <summary>Stops probing the server and fails it (see <see cref="ServerFailures.FailAsync"/>).</summary>
    public async Task MarkFailedAsync(DeploymentRuntime runtime, ServerState server, string message, CancellationToken ct)
    {
        health.Stop(server.Name);
        await failures.FailAsync(runtime, server, message, ct).ConfigureAwait(false);
    }

    /// <summary>Recovers a server failed as gone whose process runs after all, and probes it again.</summary>
    public async Task RecoverAsync(DeploymentRuntime runtime, ServerState server, ServerInstance instance, CancellationToken ct)
    {
        var recovered = await failures.RecoverAsync(runtime, server, instance, ct).ConfigureAwait(false);
        health.Ensure(runtime, recovered, instance);
    }
}
