using Strata.Backups.Services;
using Strata.Backups.Snapshots;
using Strata.ControlPlane.Reconciliation;

namespace Strata.ControlPlane.Backups;

/// <summary>A backup as found in a deployment's stores: which of them hold a complete copy.</summary>
public sealed record StoredBackup(
    string Kind, string Id, string Tier, string? Policy, string? Volume, string Server, DateTimeOffset Created, long Bytes,
    string? Sha256, string? Image, bool Encrypted, bool InPrimary, bool InDisasterRecovery);

/// <summary>Lists a deployment's snapshots and service backups in its primary and disaster-recovery stores.</summary>
public sealed class BackupListing(BackupStores stores, StoreRetry retry, TimeProvider time)
{
    /// <summary>Every completed backup of the deployment, newest first.</summary>
    public async Task<IReadOnlyList<StoredBackup>> ListAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        var primary = await retry.ExecuteAsync(runtime.Name, "listing the backup store", token => ListStoreAsync(runtime, stores.Primary(runtime), token), ct).ConfigureAwait(false);
        var dr = stores.DisasterRecovery(runtime) is { } store
            ? await retry.ExecuteAsync(runtime.Name, "listing the disaster-recovery store", token => ListStoreAsync(runtime, store, token), ct).ConfigureAwait(false)
            : [];
        var drIds = dr.Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
        var primaryIds = primary.Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
        return [.. primary.Select(b => b with { InPrimary = true, InDisasterRecovery = drIds.Contains(b.Id) })
            .Concat(dr.Where(b => !primaryIds.Contains(b.Id)).Select(b => b with { InDisasterRecovery = true }))
            .OrderByDescending(b => b.Created)
            .ThenBy(b => b.Id, StringComparer.Ordinal)];
    }

    /// <summary>The newest backup of a policy in the primary store, or null when it has none.</summary>
    public async Task<StoredBackup?> LatestAsync(DeploymentRuntime runtime, TierPolicy policy, CancellationToken ct)
    {
        var all = await retry.ExecuteAsync(runtime.Name, "listing the backup store", token => ListStoreAsync(runtime, stores.Primary(runtime), token), ct).ConfigureAwait(false);
        return all.Where(b => b.Tier == policy.Tier.Name && b.Kind == policy.Kind && (policy.Policy.Kind == Spec.Model.BackupKind.Snapshot ? b.Volume == policy.Policy.Volume : b.Policy == policy.Policy.Name))
            .MaxBy(b => b.Created);
    }

    private async Task<List<StoredBackup>> ListStoreAsync(DeploymentRuntime runtime, Storage.IObjectStore store, CancellationToken ct)
    {
        var backups = new List<StoredBackup>();
        await foreach (var s in new SnapshotEngine(store, timeProvider: time).ListAsync(new SnapshotFilter(runtime.Name), (_, tier, volume) => BackupPolicies.EncryptionKey(runtime, BackupPolicies.SnapshotPolicy(runtime, tier, volume)), ct).ConfigureAwait(false))
        {
            var policy = BackupPolicies.SnapshotPolicy(runtime, s.Tier, s.Volume)?.Name;
            backups.Add(new StoredBackup("snapshot", s.Id, s.Tier, policy, s.Volume, s.Server, s.Created, s.TotalBytes, null, null, s.Encrypted, false, false));
        }

        await foreach (var b in new ServiceBackupStore(store, time).ListAsync(runtime.Name, ct: ct).ConfigureAwait(false))
        {
            backups.Add(new StoredBackup("service", b.Id, b.Tier, b.Name, null, b.Server, b.Created, b.Size, b.Sha256, b.Image, b.Encryption is not null, false, false));
        }

        return backups;
    }
}
