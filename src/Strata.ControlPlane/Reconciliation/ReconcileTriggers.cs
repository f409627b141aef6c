namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Asks for another reconcile pass of a deployment, now or after a wait: how a finished launch or termination, a
/// launch backoff that ran out or a death still to be confirmed gets its deployment looked at again without waiting
/// for the periodic resync. <see cref="ReconcileLoop"/> listens, through <see cref="DeploymentReconciler.Changed"/>.
/// </summary>
public sealed class ReconcileTriggers(TimeProvider time)
{
    /// <summary>Raised with the name of a deployment that should be reconciled.</summary>
    public event Action<string>? Requested;

    public void Now(string deployment) => Requested?.Invoke(deployment);

    /// <summary>Asks for a pass once <paramref name="delay"/> has passed on the injected clock.</summary>
    public void After(string deployment, TimeSpan delay) =>
        _ = Task.Delay(delay, time, CancellationToken.None).ContinueWith(_ => Now(deployment), TaskScheduler.Default);
}
