using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Backups;
using Strata.Backups.Replication;
using Strata.Backups.Services;
using Strata.Backups.Snapshots;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;

namespace Strata.ControlPlane.Backups;

/// <summary>A backup to copy to the deployment's disaster-recovery store.</summary>
public sealed record ReplicationItem(DeploymentRuntime Runtime, TierPolicy Policy, string BackupId);

/// <summary>
/// Copies every new backup to the deployment's disaster-recovery store in the background, reads the copy back to
/// verify it, and applies the policy's retention there too. A failed copy is retried with backoff while the store is
/// unreachable, then recorded and reported; the backup in the primary store is unaffected.
/// </summary>
public sealed partial class DisasterRecoveryReplication(
    BackupStores stores,
    StoreRetry retry,
    BackupRetention retention,
    BackupCatalog catalog,
    EventLog events,
    Microsoft.Extensions.Options.IOptions<ControlPlaneOptions> options,
    TimeProvider time,
    ILogger<DisasterRecoveryReplication> logger) : BackgroundService
{
    private readonly Channel<ReplicationItem> _queue = Channel.CreateUnbounded<ReplicationItem>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues a copy; does nothing when the deployment has no disaster-recovery store.</summary>
    public void Enqueue(ReplicationItem item)
    {
        if (item.Runtime.Desired.Spec.Storage.DisasterRecovery is not null)
        {
            _queue.Writer.TryWrite(item);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var item in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await CopyAsync(item, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (BackupRunner.IsBackupFailure(ex))
            {
                // Already recorded and reported by CopyAsync; the queue goes on with the next backup.
                LogCopyFailed(logger, ex, item.BackupId);
            }
        }
    }

    /// <summary>Copies one backup, verifies the copy and prunes the disaster-recovery store.</summary>
    public async Task CopyAsync(ReplicationItem item, CancellationToken ct)
    {
        var (runtime, policy, id) = item;
        var target = stores.DisasterRecovery(runtime) ?? throw new InvalidOperationException($"deployment {runtime.Name} has no disasterRecovery store");
        try
        {
            var result = await retry.ExecuteAsync(runtime.Name, $"copy of backup {id} to the disaster-recovery store",
                token => CopyAndVerifyAsync(runtime, policy, id, target, token), ct).ConfigureAwait(false);
            await retention.PruneAsync(runtime, policy, target, ct).ConfigureAwait(false);
            await events.PublishAsync(runtime.Name, "backup.replicated", $"backup {id} copied to the disaster-recovery store {target.Name} and verified ({result.ObjectsCopied} objects, {result.BytesCopied} bytes copied)", $"tiers.{policy.Tier.Name}.backups.{policy.Policy.Name}", cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (BackupRunner.IsBackupFailure(ex))
        {
            await catalog.UpdateAsync(runtime.Name, policy.Tier.Name, policy.Policy.Name, policy.Kind,
                r => r with { LastError = $"copy of {id} to the disaster-recovery store failed: {ex.Message}", LastErrorAt = time.GetUtcNow() }, CancellationToken.None).ConfigureAwait(false);
            await events.PublishAsync(runtime.Name, "backup.replication-failed", $"backup {id} could not be copied to the disaster-recovery store: {ex.Message}", $"tiers.{policy.Tier.Name}.backups.{policy.Policy.Name}", EventSeverity.Error, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<ReplicationResult> CopyAndVerifyAsync(DeploymentRuntime runtime, TierPolicy policy, string id, Storage.IObjectStore target, CancellationToken ct)
    {
        var replicator = new Replicator(stores.Primary(runtime), target);
        if (policy.Policy.Kind == Spec.BackupKind.Snapshot)
        {
            var copied = await replicator.CopySnapshotAsync(id, ct).ConfigureAwait(false);
            var check = await new SnapshotEngine(target, timeProvider: time).VerifyAsync(id, BackupPolicies.EncryptionKey(runtime, policy.Policy), ct).ConfigureAwait(false);
            return check.Ok ? copied : throw new BackupCorruptException(id, null, $"the copy in the disaster-recovery store does not verify: {string.Join("; ", check.Problems)}");
        }

        var result = await replicator.CopyServiceBackupAsync(id, ct).ConfigureAwait(false);
        using var scratch = new ScratchFolder(options.Value.Paths.Root);

        // Downloading checks the size and SHA-256 of the copy against the metadata.
        await new ServiceBackupStore(target, time).DownloadAsync(id, Path.Combine(scratch.Path, "verify"), BackupPolicies.EncryptionKey(runtime, policy.Policy), ct).ConfigureAwait(false);
        return result;
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "Copy of backup {BackupId} to the disaster-recovery store failed")]
    private static partial void LogCopyFailed(ILogger logger, Exception exception, string backupId);
}
