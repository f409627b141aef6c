using Strata.Api.Contracts.Events;
using Strata.Backups;
using Strata.Backups.Replication;
using Strata.Backups.Services;
using Strata.Backups.Snapshots;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;

namespace Strata.ControlPlane.Backups;

/// <summary>A backup to copy to the deployment's disaster-recovery store.</summary>
public sealed record ReplicationItem(DeploymentRuntime Runtime, TierPolicy Policy, string BackupId);

/// <summary>
/// Copies one backup to the deployment's disaster-recovery store, reads the copy back to verify it and applies the
/// policy's retention there. Retried with backoff while the store is unreachable; a failure is recorded and reported.
/// </summary>
public sealed class DisasterRecoveryCopier(
    BackupStores stores,
    StoreRetry retry,
    BackupRetention retention,
    BackupCatalog catalog,
    EventLog events,
    Microsoft.Extensions.Options.IOptions<ControlPlaneOptions> options,
    TimeProvider time)
{
    /// <summary>Copies one backup of a policy, verifies the copy and prunes the disaster-recovery store.</summary>
    public async Task CopyAsync(ReplicationItem item, CancellationToken ct)
    {
        var (runtime, policy, id) = item;
        var target = stores.DisasterRecovery(runtime) ?? throw new InvalidOperationException($"deployment {runtime.Name} has no disasterRecovery store");
        try
        {
            var key = BackupPolicies.EncryptionKey(runtime, policy.Policy);
            var result = await retry.ExecuteAsync(runtime.Name, $"copy of backup {id} to the disaster-recovery store",
                token => CopyAndVerifyAsync(runtime, policy.Policy.Kind, id, key, target, token), ct).ConfigureAwait(false);
            await retention.PruneAsync(runtime, policy, target, ct).ConfigureAwait(false);
            await ReportCopiedAsync(runtime, id, target, result, BackupRunner.Resource(policy), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (BackupRunner.IsBackupFailure(ex))
        {
            await catalog.UpdateAsync(runtime.Name, policy.Tier.Name, policy.Policy.Name, policy.Kind,
                r => r with { LastError = $"copy of {id} to the disaster-recovery store failed: {ex.Message}", LastErrorAt = time.GetUtcNow() }, CancellationToken.None).ConfigureAwait(false);
            await ReportFailedAsync(runtime, id, ex, BackupRunner.Resource(policy)).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Copies the final snapshot of a volume about to be deleted, and verifies the copy, before the volume goes:
    /// the deployment (and its stores' settings) may be gone once it has, so this copy cannot wait in the queue.
    /// </summary>
    public async Task CopyFinalSnapshotAsync(DeploymentRuntime runtime, string tier, string volume, string id, string? key, CancellationToken ct)
    {
        if (stores.DisasterRecovery(runtime) is not { } target)
        {
            return;
        }

        var resource = $"volumes.{tier}.{volume}";
        try
        {
            var result = await retry.ExecuteAsync(runtime.Name, $"copy of final snapshot {id} to the disaster-recovery store",
                token => CopyAndVerifyAsync(runtime, Spec.Model.BackupKind.Snapshot, id, key, target, token), ct).ConfigureAwait(false);
            await ReportCopiedAsync(runtime, id, target, result, resource, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (BackupRunner.IsBackupFailure(ex))
        {
            await ReportFailedAsync(runtime, id, ex, resource).ConfigureAwait(false);
            throw;
        }
    }

    private Task ReportCopiedAsync(DeploymentRuntime runtime, string id, Storage.IObjectStore target, ReplicationResult result, string resource, CancellationToken ct) =>
        events.PublishAsync(runtime.Name, EventKinds.BackupReplicated, $"backup {id} copied to the disaster-recovery store {target.Name} and verified ({result.ObjectsCopied} objects, {result.BytesCopied} bytes copied)", resource, cancellationToken: ct);

    private Task ReportFailedAsync(DeploymentRuntime runtime, string id, Exception ex, string resource) =>
        events.PublishAsync(runtime.Name, EventKinds.BackupReplicationFailed, $"backup {id} could not be copied to the disaster-recovery store: {ex.Message}", resource, EventSeverity.Error, CancellationToken.None);

    private async Task<ReplicationResult> CopyAndVerifyAsync(
        DeploymentRuntime runtime, Spec.Model.BackupKind kind, string id, string? key, Storage.IObjectStore target, CancellationToken ct)
    {
        var replicator = new Replicator(stores.Primary(runtime), target);
        if (kind == Spec.Model.BackupKind.Snapshot)
        {
            var copied = await replicator.CopySnapshotAsync(id, ct).ConfigureAwait(false);
            var check = await new SnapshotEngine(target, timeProvider: time).VerifyAsync(id, key, ct).ConfigureAwait(false);
            return check.Ok ? copied : throw new BackupCorruptException(id, null, $"the copy in the disaster-recovery store does not verify: {string.Join("; ", check.Problems)}");
        }

        var result = await replicator.CopyServiceBackupAsync(id, ct).ConfigureAwait(false);
        using var scratch = new ScratchFolder(options.Value.Paths.Root);

        // Downloading checks the size and SHA-256 of the copy against the metadata, and opens it when it is sealed.
        await new ServiceBackupStore(target, time).DownloadAsync(id, Path.Combine(scratch.Path, "verify"), key, ct).ConfigureAwait(false);
        return result;
    }
}
