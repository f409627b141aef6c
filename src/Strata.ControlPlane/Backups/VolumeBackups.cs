using Strata.Backups.Snapshots;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning;

namespace Strata.ControlPlane.Backups;

/// <summary>Final snapshots and restores of volumes through the snapshot engine and the deployment's backup store.</summary>
internal sealed class VolumeBackups(BackupStores stores, StoreRetry retry, TimeProvider time) : IVolumeBackups
{
    public async Task<string> TakeFinalSnapshotAsync(DeploymentRuntime runtime, VolumeState volume, string volumePath, CancellationToken ct)
    {
        var key = BackupPolicies.EncryptionKey(runtime, BackupPolicies.SnapshotPolicy(runtime, volume.Tier, volume.LogicalName));
        var request = new SnapshotRequest(volumePath, runtime.Name, volume.Tier, volume.Server ?? volume.Name, volume.LogicalName, key);
        var result = await retry.ExecuteAsync(runtime.Name, $"final snapshot of {volume.Name}",
            token => new SnapshotEngine(stores.Primary(runtime), timeProvider: time).SnapshotAsync(request, null, token), ct).ConfigureAwait(false);
        return result.Manifest.Id;
    }

    public async Task RestoreAsync(DeploymentRuntime runtime, VolumeState volume, string volumePath, string? snapshotId, CancellationToken ct)
    {
        var engine = new SnapshotEngine(stores.Primary(runtime), timeProvider: time);
        var id = snapshotId ?? await LatestAsync(engine, runtime.Name, volume, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"no snapshot of volume {volume.LogicalName} of tier {volume.Tier} to restore from");

        // The engine restores into a folder that must not exist yet; the volume folder does, so restore beside it and move in.
        var staging = VolumeFolders.StagingFor(volumePath);
        var key = BackupPolicies.EncryptionKey(runtime, BackupPolicies.SnapshotPolicy(runtime, volume.Tier, volume.LogicalName));
        await retry.ExecuteAsync(runtime.Name, $"restore of snapshot {id}", async token =>
        {
            await engine.RestoreAsync(id, staging, key, token).ConfigureAwait(false);
            return id;
        }, ct).ConfigureAwait(false);
        VolumeFolders.ReplaceContents(volumePath, staging);
    }

    private static async Task<string?> LatestAsync(SnapshotEngine engine, string deployment, VolumeState volume, CancellationToken ct)
    {
        SnapshotInfo? latest = null;
        await foreach (var info in engine.ListAsync(new SnapshotFilter(deployment, volume.Tier, volume.LogicalName), ct).ConfigureAwait(false))
        {
            latest = latest is null || info.Created > latest.Created ? info : latest;
        }

        return latest?.Id;
    }
}
