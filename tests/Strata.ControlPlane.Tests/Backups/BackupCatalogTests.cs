using Microsoft.Extensions.Options;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Hosting;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

[Trait("kind", "unit")]
public sealed class BackupCatalogTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_at = new(2026, 3, 14, 3, 0, 0, TimeSpan.Zero);
    private readonly ControlPlaneServices _services = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _services.DisposeAsync().AsTask();

    [Fact]
    public async Task UpdateAsync_NewPolicy_IsReadBackFromTheFileByAnotherCatalog()
    {
        await _services.Get<BackupCatalog>().UpdateAsync("shop", "db", "hourly-dump", "service", r => r with
        {
            LastBackupId = "20260314T030000Z-1a2b3c4d", LastBackupAt = s_at, LastBackupBytes = 4096, LastAttemptAt = s_at,
        }, CancellationToken.None).WithTimeout();

        var records = await ReopenedCatalog().ListAsync("shop", CancellationToken.None).WithTimeout();

        var record = Assert.Single(records);
        Assert.Equal(new BackupRecord
        {
            Deployment = "shop", Tier = "db", Policy = "hourly-dump", Kind = "service",
            LastBackupId = "20260314T030000Z-1a2b3c4d", LastBackupAt = s_at, LastBackupBytes = 4096, LastAttemptAt = s_at,
        }, record);
        Assert.True(File.Exists(_services.Paths.StateDatabase));
    }

    [Fact]
    public async Task UpdateAsync_FailedDrillAfterPassingOne_KeepsLastProvenGood()
    {
        var catalog = _services.Get<BackupCatalog>();
        await catalog.UpdateAsync("shop", "db", "nightly", "snapshot", r => r with
        {
            LastBackupId = "good", LastBackupAt = s_at, LastVerifiedAt = s_at.AddMinutes(5), LastVerifiedBackupId = "good",
            LastRestoreDuration = TimeSpan.FromSeconds(42), LastDrillAt = s_at.AddMinutes(5), LastDrillPassed = true,
        }, CancellationToken.None).WithTimeout();

        await catalog.UpdateAsync("shop", "db", "nightly", "snapshot", r => r with
        {
            LastDrillAt = s_at.AddDays(1), LastDrillPassed = false, LastDrillMessage = "chunks/ab12 is damaged",
        }, CancellationToken.None).WithTimeout();

        var record = Assert.Single(await ReopenedCatalog().ListAsync("shop", CancellationToken.None).WithTimeout());
        Assert.Equal(s_at.AddMinutes(5), record.LastVerifiedAt);
        Assert.Equal("good", record.LastVerifiedBackupId);
        Assert.Equal(TimeSpan.FromSeconds(42), record.LastRestoreDuration);
        Assert.False(record.LastDrillPassed);
        Assert.Equal("chunks/ab12 is damaged", record.LastDrillMessage);
        Assert.Equal(s_at.AddDays(1), record.LastDrillAt);
    }

    [Fact]
    public async Task UpdateAsync_FailureAfterSuccess_KeepsLastBackupAndRecordsError()
    {
        var catalog = _services.Get<BackupCatalog>();
        await catalog.UpdateAsync("shop", "db", "hourly-dump", "service", r => r with { LastBackupId = "earlier", LastBackupAt = s_at, LastAttemptAt = s_at }, CancellationToken.None).WithTimeout();

        var updated = await catalog.UpdateAsync("shop", "db", "hourly-dump", "service", r => r with
        {
            LastAttemptAt = s_at.AddHours(1), LastError = "the backup hook exited with code 3", LastErrorAt = s_at.AddHours(1),
        }, CancellationToken.None).WithTimeout();

        var stored = Assert.Single(await ReopenedCatalog().ListAsync("shop", CancellationToken.None).WithTimeout());
        Assert.Equal(updated, stored);
        Assert.Equal("earlier", stored.LastBackupId);
        Assert.Equal(s_at, stored.LastBackupAt);
        Assert.Equal(s_at.AddHours(1), stored.LastAttemptAt);
        Assert.Equal("the backup hook exited with code 3", stored.LastError);
    }

    [Fact]
    public async Task ListAsync_SeveralDeploymentsAndPolicies_ReturnsOnlyTheDeploymentsOrderedByTierAndPolicy()
    {
        var catalog = _services.Get<BackupCatalog>();
        foreach (var (deployment, tier, policy) in new[] { ("shop", "web", "a"), ("shop", "db", "z"), ("other", "db", "a"), ("shop", "db", "b") })
        {
            await catalog.UpdateAsync(deployment, tier, policy, "snapshot", r => r with { LastAttemptAt = s_at }, CancellationToken.None).WithTimeout();
        }

        var records = await catalog.ListAsync("shop", CancellationToken.None).WithTimeout();

        Assert.Equal(["db/b", "db/z", "web/a"], records.Select(r => $"{r.Tier}/{r.Policy}"));
        Assert.All(records, r => Assert.Equal("shop", r.Deployment));
    }

    [Fact]
    public async Task UpdateAsync_ConcurrentChangesToOnePolicy_LosesNone()
    {
        var catalog = _services.Get<BackupCatalog>();

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => catalog.UpdateAsync(
            "shop", "db", "hourly-dump", "service", r => r with { LastBackupBytes = (r.LastBackupBytes ?? 0) + 1 }, CancellationToken.None))).WithTimeout();

        Assert.Equal(20, Assert.Single(await catalog.ListAsync("shop", CancellationToken.None).WithTimeout()).LastBackupBytes);
    }

    private BackupCatalog ReopenedCatalog() =>
        new(_services.Get<IOptions<ControlPlaneOptions>>(), _services.Get<DeploymentRegistry>());
}
