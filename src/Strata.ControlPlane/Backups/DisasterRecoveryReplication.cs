using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Common.Retries;
using Strata.ControlPlane.Deployments;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// Works through the <see cref="DisasterRecoveryQueue"/> in the background: every new backup is recorded there
/// before its run reports it, copied by the <see cref="DisasterRecoveryCopier"/>, and removed once the copy is
/// verified. A failed copy stays queued and is tried again after a bounded, growing delay; pending copies survive a
/// restart of the control plane and are resumed when it starts.
/// </summary>
public sealed partial class DisasterRecoveryReplication(
    DisasterRecoveryCopier copier,
    DisasterRecoveryQueue queue,
    DeploymentRegistry registry,
    IOptions<BackupOptions> options,
    TimeProvider time,
    ILogger<DisasterRecoveryReplication> logger) : BackgroundService
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    /// <summary>The largest share of a retry delay taken off at random.</summary>
    private const double Jitter = 0.2;

    private readonly Random _random = new();

    /// <summary>Records a copy to make; does nothing when the deployment has no disaster-recovery store.</summary>
    public async Task EnqueueAsync(ReplicationItem item, CancellationToken ct)
    {
        if (item.Runtime.Desired.Spec.Storage.DisasterRecovery is null)
        {
            return;
        }

        await queue.AddAsync(new PendingCopy(item.Runtime.Name, item.Policy.Tier.Name, item.Policy.Policy.Name, item.BackupId, 0, time.GetUtcNow()), ct).ConfigureAwait(false);
        _wake.Writer.TryWrite(true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Copies are resolved against the deployments, which the reconcile loop loads at start.
        await registry.WhenLoaded.WaitAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var copy in await queue.ListAsync(stoppingToken).ConfigureAwait(false))
            {
                if (copy.NextAttemptAt <= time.GetUtcNow())
                {
                    await RunAsync(copy, stoppingToken).ConfigureAwait(false);
                }
            }

            await WaitForWorkAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(PendingCopy copy, CancellationToken ct)
    {
        var runtime = registry.Find(copy.Deployment);
        var tier = runtime?.Desired.Spec.FindTier(copy.Tier);
        var policy = tier?.Backups.FirstOrDefault(b => b.Name == copy.Policy);
        if (runtime is null || policy is null || runtime.Desired.Spec.Storage.DisasterRecovery is null)
        {
            // Without the deployment's spec there are no stores to copy between; the backup stays in the primary store.
            LogCopyDropped(logger, copy.BackupId, copy.Deployment);
            await queue.RemoveAsync(copy.Deployment, copy.BackupId, ct).ConfigureAwait(false);
            return;
        }

        try
        {
            await copier.CopyAsync(new ReplicationItem(runtime, new TierPolicy(tier!, policy), copy.BackupId), ct).ConfigureAwait(false);
            await queue.RemoveAsync(copy.Deployment, copy.BackupId, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (BackupRunner.IsBackupFailure(ex))
        {
            // Already recorded and reported by the copier; tried again later.
            var next = copy with { Attempts = copy.Attempts + 1, NextAttemptAt = time.GetUtcNow() + RetryDelay(copy.Attempts + 1, options.Value, _random) };
            LogCopyFailed(logger, ex, copy.BackupId, next.NextAttemptAt);
            await queue.AddAsync(next, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The wait before the next attempt of a copy that has failed <paramref name="failures"/> times in a row. Up to a
    /// fifth is taken off at random, so copies that failed together are not all tried again together; the jitter
    /// only shortens the wait, so <see cref="BackupOptions.DisasterRecoveryMaxRetryDelay"/> is never passed.
    /// </summary>
    internal static TimeSpan RetryDelay(int failures, BackupOptions options, Random random) =>
        ExponentialBackoff.Delay(failures, options.DisasterRecoveryRetryDelay, options.DisasterRecoveryMaxRetryDelay, Jitter, random);

    /// <summary>Until a copy is queued, or the scheduler interval has passed (when queued copies may have come due).</summary>
    private async Task WaitForWorkAsync(CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(options.Value.SchedulerInterval, time, wait.Token);
        var wake = _wake.Reader.WaitToReadAsync(wait.Token).AsTask();
        await Task.WhenAny(delay, wake).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false);
        _wake.Reader.TryRead(out _);
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "Copy of backup {BackupId} to the disaster-recovery store failed; next attempt at {NextAttemptAt}")]
    private static partial void LogCopyFailed(ILogger logger, Exception exception, string backupId, DateTimeOffset nextAttemptAt);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "Copy of backup {BackupId} to the disaster-recovery store dropped: deployment {Deployment}, its policy or its disasterRecovery store is gone")]
    private static partial void LogCopyDropped(ILogger logger, string backupId, string deployment);
}
