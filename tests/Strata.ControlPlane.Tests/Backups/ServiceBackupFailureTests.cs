using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// Service backups through the real runner, its real <c>/bin/sh</c> hook in a server folder and a filesystem store:
/// a hook that fails or writes nothing is recorded and reported, and the earlier backup stays.
/// </summary>
[Trait("kind", "unit")]
public sealed class ServiceBackupFailureTests : IAsyncLifetime
{
    private readonly ServiceBackupHarness _harness = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Theory]
    [InlineData("echo 'pg_dump: connection refused' >&2; exit 3", "exited with code 3: pg_dump: connection refused")]
    [InlineData("true", "did not write")]
    [InlineData(": > \"$STRATA_BACKUP_FILE\"", "empty file")]
    public async Task RunPolicyAsync_HookFailsOrWritesNothing_KeepsEarlierBackupAndRecordsFailure(string failingHook, string expected)
    {
        var runtime = await _harness.DeployAsync();
        var policy = BackupPolicies.Select(runtime, "db", "hourly").Single();
        var runner = _harness.Get<BackupRunner>();
        _harness.ServerRoot.WriteFile("backup.sh", "printf 'dump of %s' \"$STRATA_TIER\" > \"$STRATA_BACKUP_FILE\"\n");
        var earlier = await runner.RunPolicyAsync(runtime, policy, null, null, CancellationToken.None).WithTimeout();

        _harness.ServerRoot.WriteFile("backup.sh", failingHook + "\n");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => runner.RunPolicyAsync(runtime, policy, null, null, CancellationToken.None).WithTimeout());

        Assert.True(BackupRunner.IsBackupFailure(error), error.ToString());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        var listed = await _harness.Get<BackupListing>().ListAsync(runtime, CancellationToken.None).WithTimeout();
        Assert.Contains(listed, b => b.Id == earlier.Id);
        var record = Assert.Single(await _harness.Get<BackupCatalog>().ListAsync("shop", CancellationToken.None).WithTimeout());
        Assert.Equal(earlier.Id, record.LastBackupId);
        Assert.Contains(expected, record.LastError, StringComparison.Ordinal);
        Assert.NotNull(record.LastErrorAt);
        var events = await _harness.Get<IStateStore>().ReadEventsAsync("shop", 0, 100, CancellationToken.None).WithTimeout();
        var failed = Assert.Single(events, e => e.Kind == "backup.failed");
        Assert.Equal(EventSeverity.Error, failed.Severity);
        Assert.Contains("earlier backups are kept", failed.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_harness.Home.Path, "tmp")));
    }

}
