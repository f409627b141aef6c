using Strata.ControlPlane.Backups;
using Strata.ControlPlane.State;
using Strata.Planning.State;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// What a snapshot backup reports as its size, over the real backup services and a real volume folder: the bytes of
/// the volume it describes, as <c>strata backups list</c> shows them, whether or not this snapshot had to read them.
/// </summary>
[Trait("kind", "unit")]
public sealed class SnapshotBackupSizeTests : IAsyncLifetime
{
    private const string Spec = """
        deployment: shop
        images:
          db: { from: ./db, run: sh run.sh }
        tiers:
          db:
            image: db
            servers: 1
            volumes:
              data: { size: 10MiB, mount: data }
            backups:
              hourly: { snapshot: data, every: 1h }
        """;

    private readonly ServiceBackupHarness _harness = new(spec: Spec);
    private readonly TemporaryDirectory _volume = new("strata-bk-volume");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _volume.Dispose();
    }

    [Fact]
    public async Task RunPolicyAsync_NothingChangedSinceTheLastSnapshot_ReportsTheVolumesSizeNotTheBytesRead()
    {
        var runtime = await _harness.DeployAsync();
        var server = runtime.State.FindTier("db")!.Servers.Single().Name;
        // The volume as the provider reports it once the server runs: attached, in a folder of its own.
        var volume = new VolumeState { Name = "shop-db-data-abc123", Tier = "db", LogicalName = "data", Server = server, DeletionPolicy = DeletionPolicy.Delete, Path = _volume.Path };
        await runtime.MutateAsync(s => s with { Volumes = [.. s.Volumes.Where(v => v.Server != server), volume] }, CancellationToken.None).WithTimeout();
        _volume.WriteFile("notes.txt", "first note\n");
        _volume.WriteFile("configured", "configured\n");
        var runner = _harness.Get<BackupRunner>();
        var policy = BackupPolicies.Select(runtime, "db", "hourly").Single();

        var first = await runner.RunPolicyAsync(runtime, policy, null, null, CancellationToken.None).WithTimeout();
        // Unchanged files are taken from the first snapshot's manifest without being read again.
        var second = await runner.RunPolicyAsync(runtime, policy, null, null, CancellationToken.None).WithTimeout();

        Assert.Equal((22L, 22L), (first.Bytes, second.Bytes));
        var listed = await _harness.Get<BackupListing>().ListAsync(runtime, CancellationToken.None).WithTimeout();
        Assert.Equal(22L, Assert.Single(listed, b => b.Id == second.Id).Bytes);
        var record = Assert.Single(await _harness.Get<BackupCatalog>().ListAsync("shop", CancellationToken.None).WithTimeout());
        Assert.Equal(22L, record.LastBackupBytes);
        var events = await _harness.Get<IStateStore>().ReadEventsAsync("shop", 0, 100, CancellationToken.None).WithTimeout();
        var completed = events.Where(e => e.Kind == "backup.completed").Select(e => e.Message).ToList();
        Assert.Equal(2, completed.Count);
        Assert.All(completed, m => Assert.EndsWith(": 22 bytes in 2 files", m, StringComparison.Ordinal));
    }
}
