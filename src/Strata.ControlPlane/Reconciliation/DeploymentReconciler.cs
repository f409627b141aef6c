namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Brings one deployment closer to its spec in a single pass: holds the recorded servers against what the provider
/// runs (<see cref="ServerObservation"/>), brings each tier to its target (<see cref="TierReconciler"/>), whose
/// launches and terminations run in the background (<see cref="ServerLifecycle"/>), and sets load-balancer membership
/// from health. Every intent is recorded in the state before it is acted on, so a restart repeats it idempotently.
/// Passes are cheap and repeatable.
/// </summary>
public sealed class DeploymentReconciler(
    ServerObservation observation,
    TierReconciler tiers,
    ImageCatalog images,
    LoadBalancerCoordinator loadBalancers,
    LaunchPacer pacer,
    ReconcileTriggers triggers)
{
    /// <summary>Raised when background work finished or a wait ran out, and the deployment should be looked at again.</summary>
    public event Action<string>? Changed
    {
        add => triggers.Requested += value;
        remove => triggers.Requested -= value;
    }

    public async Task ReconcileAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        var observed = await observation.ObserveAsync(runtime, ct).ConfigureAwait(false);
        pacer.Settle(runtime.Name, runtime.State);
        if (runtime.IsDeleting)
        {
            await loadBalancers.StopAllAsync(runtime, ct).ConfigureAwait(false);
            await tiers.TearDownAsync(runtime, ct).ConfigureAwait(false);
            return;
        }

        await images.EnsureAsync(runtime, ct).ConfigureAwait(false);
        var starting = await loadBalancers.StartMissingAsync(runtime, ct).ConfigureAwait(false);
        try
        {
            await tiers.ReconcileAsync(runtime, ct).ConfigureAwait(false);
        }
        finally
        {
            // Only waits: a start that failed is reported by the reconcile below, which tries again.
            await Task.WhenAny(starting).ConfigureAwait(false);
        }

        await loadBalancers.ReconcileAsync(runtime, ct).ConfigureAwait(false);
        await observation.TerminateOrphansAsync(runtime, observed, ct).ConfigureAwait(false);
    }
}
