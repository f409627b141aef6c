using Strata.Backups;
using Strata.Backups.Snapshots;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning;

namespace Strata.ControlPlane.Backups;

/// <summary>Final snapshots and restores of volumes through the snapshot engine and the deployment's backup store.</summary>
internal sealed class VolumeBackups(BackupStores stores, TimeProvider time) : IVolumeBackups
{
    public async Task<string> TakeFinalSnapshotAsync(DeploymentRuntime runtime, VolumeState volume, string volumePath, CancellationToken ct)
    {
        var engine = new SnapshotEngine(stores.Primary(runtime), timeProvider: time);
        var request = new SnapshotRequest(volumePath, runtime.Name, volume.Tier, volume.Server ?? volume.Name, volume.LogicalName, EncryptionKey(runtime, volume));
        var result = await engine.SnapshotAsync(request, null, ct).ConfigureAwait(false);
        return result.Manifest.Id;
    }

    public async Task RestoreAsync(DeploymentRuntime runtime, VolumeState volume, string volumePath, string? snapshotId, CancellationToken ct)
    {
        var engine = new SnapshotEngine(stores.Primary(runtime), timeProvider: time);
        var id = snapshotId ?? await LatestAsync(engine, runtime.Name, volume, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"no snapshot of volume {volume.LogicalName} of tier {volume.Tier} to restore from");

        // The engine restores into a folder that must not exist yet; the volume folder does, so restore beside it and move in.
        var staging = volumePath.TrimEnd('/') + ".restore";
        await engine.RestoreAsync(id, staging, EncryptionKey(runtime, volume), ct).ConfigureAwait(false);
        foreach (var entry in Directory.EnumerateFileSystemEntries(staging))
        {
            var target = Path.Combine(volumePath, Path.GetFileName(entry));
            if (Directory.Exists(entry))
            {
                Directory.Move(entry, target);
            }
            else
            {
                File.Move(entry, target, overwrite: true);
            }
        }

        Directory.Delete(staging);
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

    /// <summary>The key of the tier's snapshot backup policy for this volume, when the policy names an encryption parameter.</summary>
    private static string? EncryptionKey(DeploymentRuntime runtime, VolumeState volume)
    {
        var policy = runtime.Desired.Spec.FindTier(volume.Tier)?.Backups
            .FirstOrDefault(b => b.Volume == volume.LogicalName && b.EncryptionKeyParameter is not null);
        return policy?.EncryptionKeyParameter is { } parameter && runtime.Desired.Spec.ResolvedParameters.TryGetValue(parameter, out var key) ? key : null;
    }
}
