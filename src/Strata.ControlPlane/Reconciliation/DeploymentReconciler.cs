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
        if (!runtime.IsDeleting)
        {
            // First of all, in the background: a load balancer's process takes longer to start than a small server,
            // and is needed only once a server is in service.
            await loadBalancers.StartMissingAsync(runtime, ct).ConfigureAwait(false);
        }

        var observed = await observation.ObserveAsync(runtime, ct).ConfigureAwait(false);
        pacer.Settle(runtime.Name, runtime.State);
        if (runtime.IsDeleting)
        {
            await loadBalancers.StopAllAsync(runtime, ct).ConfigureAwait(false);
            await tiers.TearDownAsync(runtime, ct).ConfigureAwait(false);
            return;
        }

        await images.EnsureAsync(runtime, ct).ConfigureAwait(false);
        await tiers.ReconcileAsync(runtime, ct).ConfigureAwait(false);
        await loadBalancers.ReconcileAsync(runtime, ct).ConfigureAwait(false);
        await observation.TerminateOrphansAsync(runtime, observed, ct).ConfigureAwait(false);
    }
}
