using Strata.Backups.Services;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Deployments;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// The real replication service over the home's state.db and filesystem stores, on a manual clock: a copy that
/// fails stays queued and is made once it is due again and the store works.
/// </summary>
[Trait("kind", "unit")]
public sealed class DisasterRecoveryQueueTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly TemporaryDirectory _stores = new("strata-drq");
    private readonly ServiceBackupHarness _harness;

    public DisasterRecoveryQueueTests()
    {
        // The disaster-recovery store's folder lies below a plain file, so every write to it fails until that file goes.
        File.WriteAllText(_stores.Combine("blocker"), "not a folder");
        _harness = new ServiceBackupHarness(_time, $$"""
            deployment: shop
            images:
              db: { from: ./db, run: sh run.sh, hooks: { backup: sh backup.sh } }
            tiers:
              db:
                image: db
                servers: 1
                backups:
                  hourly: { service: true, every: 1h }
            storage:
              disasterRecovery: { type: filesystem, path: {{_stores.Combine("blocker", "dr")}} }
            """);
    }

    public Task InitializeAsync()
    {
        _harness.ServerRoot.WriteFile("backup.sh", "echo rows > \"$STRATA_BACKUP_FILE\"\n");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _stores.Dispose();
    }

    [Fact]
    public async Task FailedCopy_StaysQueuedAndIsMadeWhenDueAndTheStoreWorks()
    {
        await _harness.Get<DeploymentRegistry>().LoadAsync(CancellationToken.None).WithTimeout();
        var runtime = await _harness.DeployAsync();
        var replication = _harness.Get<DisasterRecoveryReplication>();
        var queue = _harness.Get<DisasterRecoveryQueue>();
        await replication.StartAsync(CancellationToken.None).WithTimeout();
        try
        {
            var backup = await _harness.Get<BackupRunner>().RunPolicyAsync(runtime, BackupPolicies.Select(runtime, "db", "hourly").Single(), null, null, CancellationToken.None).WithTimeout();

            await Eventually.WaitAsync(async () => (await queue.ListAsync(CancellationToken.None)) is [{ Attempts: 1 }], "the failed copy to be queued again");
            var pending = Assert.Single(await queue.ListAsync(CancellationToken.None).WithTimeout());
            Assert.Equal(backup.Id, pending.BackupId);
            Assert.InRange(pending.NextAttemptAt - _time.GetUtcNow(), TimeSpan.FromSeconds(47), TimeSpan.FromSeconds(73));

            File.Delete(_stores.Combine("blocker"));
            // Advanced only once the service waits on the clock again, so that the wait cannot start after the jump.
            await Eventually.WaitAsync(() => _time.NextTimerDueAt is not null, "the replication service to wait for work");
            _time.Advance(TimeSpan.FromMinutes(2));

            await Eventually.WaitAsync(async () => (await queue.ListAsync(CancellationToken.None)).Count == 0, "the copy to be made and dequeued");
            var dr = new ServiceBackupStore(ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _stores.Combine("blocker", "dr") }));
            Assert.Equal(backup.Id, (await dr.GetAsync(backup.Id).WithTimeout()).Id);
        }
        finally
        {
            await replication.StopAsync(CancellationToken.None).WithTimeout();
        }
    }
}
