using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Makes the previous apply desired again and starts rolling every changed tier back to it (<see cref="Rollouts.RollBack"/>):
/// asked for by a rollout whose new servers do not come into service, or by <c>strata rollback</c>.
/// </summary>
public sealed class DeploymentRollback(EventLog events, TimeProvider time)
{
    public async Task<RollbackResult> RollBackAsync(DeploymentRuntime runtime, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var rolledBack = await runtime.RollbackAsync(reason, (state, from, to) => Rollouts.RollBack(state, from, to, reason, now), ct).ConfigureAwait(false);
        var message = rolledBack ? $"rolling back to the previous apply: {reason}" : $"cannot roll back, there is no previous apply: {reason}";
        var result = rolledBack ? RollbackResult.RolledBack : RollbackResult.NoPreviousApply;
        await events.PublishAsync(runtime.Name, EventKinds.DeploymentRollback, message, EventSubject.OfRollback(result), EventSeverity.Warning, ct).ConfigureAwait(false);
        return result;
    }
}
