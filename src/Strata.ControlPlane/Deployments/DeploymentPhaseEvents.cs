using System.Collections.Concurrent;
using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;

namespace Strata.ControlPlane.Deployments;

/// <summary>
/// Tells each change of a deployment's phase as a <see cref="EventKinds.DeploymentPhase"/> event, looked at after every
/// reconcile pass: every change of state that can change the phase (a server in service, a load balancer's members, a
/// failure) asks for a pass. A waiting `strata up` looks at the status when one comes, instead of listing every server
/// many times a second while launches go on. After a restart, the first pass tells the phase the deployment is in.
/// </summary>
public sealed class DeploymentPhaseEvents(EventLog events)
{
    private readonly ConcurrentDictionary<string, DeploymentPhase> _told = new(StringComparer.Ordinal);

    /// <summary>Publishes the deployment's phase when it is not the one told last.</summary>
    public async Task ObserveAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var phase = DeploymentStatusBuilder.Phase(runtime);
        if (_told.TryGetValue(runtime.Name, out var told) && told == phase)
        {
            return;
        }

        await events.PublishAsync(runtime.Name, EventKinds.DeploymentPhase, Describe(runtime, phase),
            severity: phase == DeploymentPhase.Degraded ? EventSeverity.Warning : EventSeverity.Info, cancellationToken: ct).ConfigureAwait(false);

        // Once told: a publish that failed is tried again after the next pass.
        _told[runtime.Name] = phase;
    }

    /// <summary>Forgets a deployment that is gone, so that one created again under its name is told from the start.</summary>
    public void Forget(string deployment) => _told.TryRemove(deployment, out _);

    private static string Describe(DeploymentRuntime runtime, DeploymentPhase phase)
    {
        var servers = runtime.State.Tiers.SelectMany(t => t.Servers).ToList();
        var inService = servers.Count(s => s.State == ServerStatus.InService);
        var desired = runtime.State.Tiers.Sum(t => t.Count.Desired);
        return phase switch
        {
            DeploymentPhase.Converged => $"{runtime.Name} is converged: {inService} server{(inService == 1 ? "" : "s")} in service",
            DeploymentPhase.Degraded => $"{runtime.Name} is degraded: {DeploymentStatusBuilder.FailureMessage(runtime)}",
            DeploymentPhase.AwaitingPromotion => $"{runtime.Name} awaits promotion: a canary is in service (`strata promote {runtime.Name}` or `strata rollback {runtime.Name}`)",
            DeploymentPhase.Deleting => $"{runtime.Name} is being deleted: {servers.Count} server{(servers.Count == 1 ? "" : "s")} left",
            _ => $"{runtime.Name} is converging: {inService} of {desired} server{(desired == 1 ? "" : "s")} in service",
        };
    }
}
