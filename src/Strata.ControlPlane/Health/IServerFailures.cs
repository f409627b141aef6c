using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;

namespace Strata.ControlPlane.Health;

/// <summary>
/// Where the <see cref="HealthMonitor"/> reports a server its check has given up on (booting past its grace): the
/// control plane's failure handling, which records the failure, hands its volumes over and counts it against the
/// tier's launches. The monitor has stopped the server's probes before it reports.
/// </summary>
public interface IServerFailures
{
    Task FailAsync(DeploymentRuntime runtime, ServerState server, string message, CancellationToken ct);
}
