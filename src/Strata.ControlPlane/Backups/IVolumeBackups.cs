using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// What the reconciler asks of backups while it creates and removes volumes: the final snapshot a
/// <c>deletionPolicy: snapshot</c> volume gets before it is deleted, and filling a new volume from a snapshot
/// (<c>restoreFrom</c>, or the latest snapshot when a replaced server's volume is gone).
/// </summary>
public interface IVolumeBackups
{
    /// <summary>Snapshots the volume at <paramref name="volumePath"/>; returns the snapshot id.</summary>
    Task<string> TakeFinalSnapshotAsync(DeploymentRuntime runtime, VolumeState volume, string volumePath, CancellationToken ct);

    /// <summary>Fills an empty volume folder from a snapshot id (or the latest snapshot of that tier and volume when null).</summary>
    Task RestoreAsync(DeploymentRuntime runtime, VolumeState volume, string volumePath, string? snapshotId, CancellationToken ct);

    /// <summary>
    /// The newest snapshot of the tier's volume in the primary store, or in the disaster-recovery store when the
    /// primary has none or cannot be reached; null when neither has one.
    /// </summary>
    Task<RecoveredSnapshot?> FindNewestAsync(DeploymentRuntime runtime, string tier, string volume, CancellationToken ct);

    /// <summary>
    /// The newest snapshot of the tier's volume in the disaster-recovery store alone, as after the loss of the region
    /// of the primary; null when the deployment has no such store or it holds none.
    /// </summary>
    Task<RecoveredSnapshot?> FindNewestCopyAsync(DeploymentRuntime runtime, string tier, string volume, CancellationToken ct);

    /// <summary>Fills an empty volume folder from the newest snapshot (see <see cref="FindNewestAsync"/>); says which it was.</summary>
    /// <exception cref="InvalidOperationException">Neither store holds a snapshot of the volume.</exception>
    Task<RecoveredSnapshot> RecoverAsync(DeploymentRuntime runtime, VolumeState volume, string volumePath, CancellationToken ct);
}

/// <summary>The snapshot a volume was recovered from: its id, the store (<c>primary</c> or <c>dr</c>) and when it was taken.</summary>
public sealed record RecoveredSnapshot(string Id, string Store, DateTimeOffset Created);
