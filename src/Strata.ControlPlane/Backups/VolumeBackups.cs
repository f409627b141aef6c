using Microsoft.Extensions.Options;
using Strata.Backups.Snapshots;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;

namespace Strata.ControlPlane.Backups;

/// <summary>Final snapshots and restores of volumes through the snapshot engine and the deployment's backup store.</summary>
internal sealed class VolumeBackups(
    ICloudProvider provider, BackupStores stores, StoreRetry retry, DisasterRecoveryCopier disasterRecovery, IOptions<ControlPlaneOptions> options, TimeProvider time)
    : IVolumeBackups
{
    public async Task<string> TakeFinalSnapshotAsync(DeploymentRuntime runtime, VolumeState volume, string volumePath, CancellationToken ct)
    {
        var key = BackupPolicies.EncryptionKey(runtime, BackupPolicies.SnapshotPolicy(runtime, volume.Tier, volume.LogicalName));

        // A volume on a host is copied here first; its server is gone, so nothing needs to pause for the copy.
        using var readable = await VolumeWhereabouts.ReadableAsync(provider, volume.Name, volumePath, options.Value.Paths.Root, null, null, ct).ConfigureAwait(false);
        var request = new SnapshotRequest(readable.Path, runtime.Name, volume.Tier, volume.Server ?? volume.Name, volume.LogicalName, key);
        var result = await retry.ExecuteAsync(runtime.Name, $"final snapshot of {volume.Name}",
            token => new SnapshotEngine(stores.Primary(runtime), timeProvider: time).SnapshotAsync(request, null, token), ct).ConfigureAwait(false);

        // Before the volume is deleted: a failed copy fails the termination, which keeps the volume and is tried again.
        await disasterRecovery.CopyFinalSnapshotAsync(runtime, volume.Tier, volume.LogicalName, result.Manifest.Id, key, ct).ConfigureAwait(false);
        return result.Manifest.Id;
    }

    public async Task RestoreAsync(DeploymentRuntime runtime, VolumeState volume, string volumePath, string? snapshotId, CancellationToken ct)
    {
        var source = RestoreSource.Parse(snapshotId);
        var store = source.FromDisasterRecovery
            ? stores.DisasterRecovery(runtime) ?? throw new InvalidOperationException($"volume {volume.LogicalName} of tier {volume.Tier} restores from '{snapshotId}', but the deployment has no disasterRecovery store")
            : stores.Primary(runtime);
        var engine = new SnapshotEngine(store, timeProvider: time);
        var key = BackupPolicies.EncryptionKey(runtime, BackupPolicies.SnapshotPolicy(runtime, volume.Tier, volume.LogicalName));
        var id = source.SnapshotId ?? await LatestAsync(engine, runtime.Name, volume, key, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"no snapshot of volume {volume.LogicalName} of tier {volume.Tier} in the {store.Name} store to restore from");
        var (deployment, tier, logical) = await engine.LocateAsync(id, ct).ConfigureAwait(false);
        if ((deployment, tier, logical) != (runtime.Name, volume.Tier, volume.LogicalName))
        {
            throw new InvalidOperationException(
                $"snapshot {id} is of volume {logical} of tier {tier} of deployment {deployment}, not of volume {volume.LogicalName} of tier {volume.Tier} of {runtime.Name}: refused");
        }

        // The engine restores into a folder that must not exist yet; the volume folder does, so restore beside it and move in.
        var staging = VolumeContent.StagingFor(volumePath);
        await retry.ExecuteAsync(runtime.Name, $"restore of snapshot {id}", async token =>
        {
            await engine.RestoreAsync(id, staging, key, token).ConfigureAwait(false);
            return id;
        }, ct).ConfigureAwait(false);
        VolumeContent.ReplaceContents(volumePath, staging);
    }

    public async Task<RecoveredSnapshot?> FindNewestAsync(DeploymentRuntime runtime, string tier, string volume, CancellationToken ct)
    {
        var key = BackupPolicies.EncryptionKey(runtime, BackupPolicies.SnapshotPolicy(runtime, tier, volume));
        try
        {
            if (await LatestInfoAsync(new SnapshotEngine(stores.Primary(runtime), timeProvider: time), runtime.Name, tier, volume, key, ct).ConfigureAwait(false) is { } primary)
            {
                return new RecoveredSnapshot(primary.Id, "primary", primary.Created);
            }
        }
        catch (Storage.ObjectStoreUnavailableException)
        {
            // The primary store may have been lost with the host's region: the disaster-recovery copy is there for that.
        }

        return await FindNewestCopyAsync(runtime, tier, volume, ct).ConfigureAwait(false);
    }

    public async Task<RecoveredSnapshot?> FindNewestCopyAsync(DeploymentRuntime runtime, string tier, string volume, CancellationToken ct)
    {
        var key = BackupPolicies.EncryptionKey(runtime, BackupPolicies.SnapshotPolicy(runtime, tier, volume));
        return stores.DisasterRecovery(runtime) is { } dr
            && await LatestInfoAsync(new SnapshotEngine(dr, timeProvider: time), runtime.Name, tier, volume, key, ct).ConfigureAwait(false) is { } copy
            ? new RecoveredSnapshot(copy.Id, "dr", copy.Created)
            : null;
    }

    public async Task<RecoveredSnapshot> RecoverAsync(DeploymentRuntime runtime, VolumeState volume, string volumePath, CancellationToken ct)
    {
        var newest = await FindNewestAsync(runtime, volume.Tier, volume.LogicalName, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"volume {volume.LogicalName} of tier {volume.Tier} is to be restored from its newest snapshot, and neither the primary nor the disasterRecovery store holds one");
        var source = newest.Store == "dr" ? RestoreSource.DisasterRecoveryPrefix + newest.Id : newest.Id;
        await RestoreAsync(runtime, volume, volumePath, source, ct).ConfigureAwait(false);
        return newest;
    }

    private static async Task<string?> LatestAsync(SnapshotEngine engine, string deployment, VolumeState volume, string? key, CancellationToken ct) =>
        (await LatestInfoAsync(engine, deployment, volume.Tier, volume.LogicalName, key, ct).ConfigureAwait(false))?.Id;

    private static async Task<SnapshotInfo?> LatestInfoAsync(SnapshotEngine engine, string deployment, string tier, string volume, string? key, CancellationToken ct)
    {
        SnapshotInfo? latest = null;
        await foreach (var info in engine.ListAsync(new SnapshotFilter(deployment, tier, volume), (_, _, _) => key, ct).ConfigureAwait(false))
        {
            latest = latest is null || info.Created > latest.Created ? info : latest;
        }

        return latest;
    }
}

/// <summary>
/// What a volume's <c>restoreFrom</c> names: a snapshot id, <c>latest</c>, or either prefixed with <c>dr:</c> to
/// read from the disaster-recovery store. A null id means the latest.
/// </summary>
internal sealed record RestoreSource(bool FromDisasterRecovery, string? SnapshotId)
{
    public const string DisasterRecoveryPrefix = "dr:";
    public const string Latest = "latest";

    public static RestoreSource Parse(string? value)
    {
        var dr = value?.StartsWith(DisasterRecoveryPrefix, StringComparison.Ordinal) == true;
        var id = dr ? value![DisasterRecoveryPrefix.Length..] : value;
        return new RestoreSource(dr, id is null or Latest ? null : id);
    }
}
