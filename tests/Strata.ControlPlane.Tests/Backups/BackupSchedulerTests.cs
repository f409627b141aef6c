using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Reconciliation;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// The scheduler on a manual clock, over the real runner, a real <c>/bin/sh</c> hook and a filesystem store: when an
/// hourly policy first runs, that it runs once per interval, once after a long outage, and that a failure waits for
/// the next interval instead of retrying on every tick.
/// </summary>
[Trait("kind", "unit")]
public sealed class BackupSchedulerTests : IAsyncLifetime
{
    private const string GoodHook = "printf 'dump of %s' \"$STRATA_TIER\" > \"$STRATA_BACKUP_FILE\"\n";

    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ServiceBackupHarness _harness;

    public BackupSchedulerTests()
    {
        _harness = new ServiceBackupHarness(_time);
        _harness.ServerRoot.WriteFile("backup.sh", GoodHook);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task TickAsync_HourlyPolicy_FirstBackupAnHourAfterThePolicyAppearsThenEveryHour()
    {
        var runtime = await _harness.DeployAsync();
        var scheduler = _harness.Get<BackupScheduler>();

        await TickAfterAsync(scheduler, TimeSpan.Zero);
        await TickAfterAsync(scheduler, TimeSpan.FromMinutes(59));
        Assert.Equal(0, await BackupsAsync(runtime));

        await TickAfterAsync(scheduler, TimeSpan.FromMinutes(1));
        Assert.Equal(1, await BackupsAsync(runtime));
        await TickAfterAsync(scheduler, TimeSpan.FromMinutes(30));
        Assert.Equal(1, await BackupsAsync(runtime));
        await TickAfterAsync(scheduler, TimeSpan.FromMinutes(30));
        Assert.Equal(2, await BackupsAsync(runtime));
    }

    [Fact]
    public async Task TickAsync_AfterAnOutageOfHours_RunsOnceNotOncePerMissedInterval()
    {
        var runtime = await _harness.DeployAsync();
        var scheduler = _harness.Get<BackupScheduler>();
        await TickAfterAsync(scheduler, TimeSpan.Zero);

        await TickAfterAsync(scheduler, TimeSpan.FromHours(5));
        await TickAfterAsync(scheduler, TimeSpan.FromSeconds(15));

        Assert.Equal(1, await BackupsAsync(runtime));
        var record = Assert.Single(await _harness.Get<BackupCatalog>().ListAsync("shop", CancellationToken.None).WithTimeout());
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromSeconds(15), record.LastAttemptAt);
    }

    [Fact]
    public async Task TickAsync_HookFails_RecordsItAndWaitsForTheNextInterval()
    {
        var runtime = await _harness.DeployAsync();
        var scheduler = _harness.Get<BackupScheduler>();
        await TickAfterAsync(scheduler, TimeSpan.Zero);
        _harness.ServerRoot.WriteFile("backup.sh", "echo 'disk full' >&2; exit 1\n");

        await TickAfterAsync(scheduler, TimeSpan.FromHours(1));
        var failedAt = _time.GetUtcNow();
        _harness.ServerRoot.WriteFile("backup.sh", GoodHook);
        await TickAfterAsync(scheduler, TimeSpan.FromMinutes(10));

        var record = Assert.Single(await _harness.Get<BackupCatalog>().ListAsync("shop", CancellationToken.None).WithTimeout());
        Assert.Equal(failedAt, record.LastAttemptAt);
        Assert.Contains("disk full", record.LastError, StringComparison.Ordinal);
        Assert.Equal(0, await BackupsAsync(runtime));

        await TickAfterAsync(scheduler, TimeSpan.FromMinutes(50));
        Assert.Equal(1, await BackupsAsync(runtime));
    }

    private async Task TickAfterAsync(BackupScheduler scheduler, TimeSpan wait)
    {
        _time.Advance(wait);
        await scheduler.TickAsync(CancellationToken.None).WithTimeout();
    }

    private async Task<int> BackupsAsync(DeploymentRuntime runtime) =>
        (await _harness.Get<BackupListing>().ListAsync(runtime, CancellationToken.None).WithTimeout()).Count;
}
