using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Reconciliation;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// Runs each policy's backups on its schedule (<c>every</c> or <c>cron</c>, counted from the last attempt) and its
/// restore drills every <c>verify</c> interval, one at a time. A failed backup is recorded and reported by the
/// runner and waits for its next time; the scheduler itself never stops on one.
/// </summary>
public sealed class BackupScheduler(
    DeploymentRegistry registry,
    BackupCatalog catalog,
    BackupRunner runner,
    RestoreDrill drill,
    IOptions<BackupOptions> options,
    TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await registry.WhenLoaded.WaitAsync(stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(options.Value.SchedulerInterval, time);
        do
        {
            await TickAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Runs whatever is due now.</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        foreach (var runtime in registry.All.Where(r => !r.IsDeleting && r.State.Tiers.Count > 0).ToList())
        {
            await catalog.PublishIfMissingAsync(runtime, ct).ConfigureAwait(false);
            var records = BackupStatusBoard.Of(runtime);
            foreach (var policy in runtime.Desired.Spec.Tiers.SelectMany(t => t.Backups.Select(p => new TierPolicy(t, p))))
            {
                var record = records.FirstOrDefault(r => r.Tier == policy.Tier.Name && r.Policy == policy.Policy.Name)
                    ?? await catalog.UpdateAsync(runtime.Name, policy.Tier.Name, policy.Policy.Name, policy.Kind, r => r with { LastAttemptAt = time.GetUtcNow() }, ct).ConfigureAwait(false);
                await RunDueAsync(runtime, policy, record, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task RunDueAsync(DeploymentRuntime runtime, TierPolicy policy, BackupRecord record, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (record.LastAttemptAt is { } last && policy.Schedule.Next(last) <= now)
        {
            try
            {
                await runner.RunPolicyAsync(runtime, policy, null, null, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (BackupRunner.IsBackupFailure(ex))
            {
                // Recorded and published by the runner; the policy's next time comes round as usual.
            }
        }

        if (policy.Policy.VerifyEvery is { } every && record.LastBackupAt is not null && (record.LastDrillAt ?? record.LastBackupAt) + every <= now)
        {
            await drill.RunAsync(runtime, policy, ct).ConfigureAwait(false);
        }
    }
}
