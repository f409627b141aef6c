using Strata.Api.Contracts.Events;
using Strata.Backups.Retention;
using Strata.Backups.Services;
using Strata.Backups.Snapshots;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;

namespace Strata.ControlPlane.Backups;

/// <summary>Applies a policy's <c>retain</c> rules to its backups in one store and reports what went.</summary>
public sealed class BackupRetention(EventLog events, TimeProvider time)
{
    /// <summary>Applies the policy's retention to its backups in a store. Chunks are removed only once no snapshot needs them.</summary>
    public async Task PruneAsync(DeploymentRuntime runtime, TierPolicy policy, Storage.IObjectStore store, CancellationToken ct)
    {
        var retention = new RetentionPolicy(policy.Policy.KeepLast, policy.Policy.KeepDaily, policy.Policy.KeepWeekly);
        if (policy.Policy.Kind == Spec.Model.BackupKind.Snapshot)
        {
            var pruner = new SnapshotPruner(store, timeProvider: time);
            var result = await pruner.PruneAsync(new SnapshotFilter(runtime.Name, policy.Tier.Name, policy.Policy.Volume), retention, ct).ConfigureAwait(false);
            await ReportPrunedAsync(runtime, policy, store, result.RemovedSnapshots, ct).ConfigureAwait(false);
            return;
        }

        var backups = new ServiceBackupStore(store, time);
        var all = await backups.ListAsync(runtime.Name, policy.Tier.Name, policy.Policy.Name, ct).ToListAsync(ct).ConfigureAwait(false);
        var kept = retention.SelectKept(all.Select(b => new RetentionCandidate(b.Id, b.Created)));
        var removed = all.Where(b => !kept.Contains(b.Id)).ToList();
        foreach (var backup in removed)
        {
            await backups.DeleteAsync(backup, ct).ConfigureAwait(false);
        }

        await ReportPrunedAsync(runtime, policy, store, [.. removed.Select(b => b.Id)], ct).ConfigureAwait(false);
    }

    private async Task ReportPrunedAsync(DeploymentRuntime runtime, TierPolicy policy, Storage.IObjectStore store, IReadOnlyList<string> removed, CancellationToken ct)
    {
        if (removed.Count > 0)
        {
            await events.PublishAsync(runtime.Name, EventKinds.BackupPruned, $"retention of {policy.Tier.Name}/{policy.Policy.Name} removed {removed.Count} backup(s) from store {store.Name}: {string.Join(", ", removed)}", BackupRunner.Resource(policy), cancellationToken: ct).ConfigureAwait(false);
        }
    }
}
