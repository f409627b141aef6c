using Strata.Backups.Snapshots;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// Final snapshots and <c>restoreFrom</c> through the control plane's real volume backups, with filesystem primary
/// and disaster-recovery stores and an encrypted snapshot policy.
/// </summary>
[Trait("kind", "unit")]
public sealed class VolumeBackupsDisasterRecoveryTests : IAsyncLifetime
{
    private readonly TemporaryDirectory _stores = new("strata-vb-stores");
    private readonly ServiceBackupHarness _harness;
    private DeploymentRuntime _runtime = null!;
    private VolumeState _volume = null!;

    public VolumeBackupsDisasterRecoveryTests()
    {
        _harness = new ServiceBackupHarness(spec: $$"""
            deployment: shop
            parameters:
              dbPassword: { type: string, secret: true }
            images:
              db: { from: ./db, run: sh run.sh }
            tiers:
              db:
                image: db
                servers: 1
                volumes:
                  data: { size: 1MiB }
                deletionPolicy: snapshot
                backups:
                  nightly: { snapshot: data, every: 24h, encryptionKey: "${params.dbPassword}" }
            storage:
              backups: { type: filesystem, path: {{_stores.Combine("primary")}} }
              disasterRecovery: { type: filesystem, path: {{_stores.Combine("dr")}} }
            """);
    }

    private IObjectStore Primary => ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _stores.Combine("primary") });

    private IObjectStore DisasterRecovery => ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _stores.Combine("dr") });

    private string VolumePath => _harness.ServerRoot.Combine("volume");

    public async Task InitializeAsync()
    {
        _runtime = await _harness.DeployAsync();
        // As the reconciler records a volume it has created and attached; the applied plan has none yet.
        _volume = new VolumeState { Name = "shop-db-data-a1b2c3", Tier = "db", LogicalName = "data", Server = "shop-db-1", DeletionPolicy = Spec.Model.DeletionPolicy.Snapshot, Path = VolumePath };
        _harness.ServerRoot.WriteFile("volume/rows", "first rows");
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _stores.Dispose();
    }

    [Fact]
    public async Task TakeFinalSnapshotAsync_WithDisasterRecoveryStore_CopyIsThereWhenItReturns()
    {
        var id = await _harness.Get<IVolumeBackups>().TakeFinalSnapshotAsync(_runtime, _volume, VolumePath, CancellationToken.None).WithTimeout();

        var copy = await new SnapshotEngine(DisasterRecovery).VerifyAsync(id, Specs.SecretPassword).WithTimeout();
        Assert.True(copy.Ok, string.Join("; ", copy.Problems));
        Assert.True(copy.ChunksChecked > 0);
    }

    [Fact]
    public async Task RestoreAsync_LatestAndDisasterRecoveryCopies_RestoreWhatTheyName()
    {
        var volumes = _harness.Get<IVolumeBackups>();
        var first = await volumes.TakeFinalSnapshotAsync(_runtime, _volume, VolumePath, CancellationToken.None).WithTimeout();
        _harness.ServerRoot.WriteFile("volume/rows", "second rows");
        await volumes.TakeFinalSnapshotAsync(_runtime, _volume, VolumePath, CancellationToken.None).WithTimeout();
        // Gone from the primary store: only the disaster-recovery copy can bring it back.
        await Primary.DeleteAsync(await new SnapshotEngine(Primary).ListAsync().Select(s => s.ManifestKey).FirstAsync(k => k.Contains(first, StringComparison.Ordinal)), CancellationToken.None);

        Assert.Equal("second rows", await RestoreAsync("latest"));
        Assert.Equal("first rows", await RestoreAsync($"dr:{first}"));
        Assert.Equal("second rows", await RestoreAsync("dr:latest"));
        await Assert.ThrowsAnyAsync<Exception>(() => RestoreAsync(first));
    }

    [Fact]
    public async Task RestoreAsync_SnapshotOfAnotherDeploymentInTheStore_Refused()
    {
        var theirs = await new SnapshotEngine(Primary).SnapshotAsync(
            new SnapshotRequest(VolumePath, "other", "db", "other-db-1", "data", Specs.SecretPassword)).WithTimeout();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RestoreAsync(theirs.Manifest.Id));

        Assert.Contains("of deployment other, not of volume data of tier db of shop: refused", error.Message, StringComparison.Ordinal);
    }

    private async Task<string> RestoreAsync(string restoreFrom)
    {
        var target = _harness.ServerRoot.Combine($"restored-{Guid.NewGuid():N}");
        Directory.CreateDirectory(target);
        await _harness.Get<IVolumeBackups>().RestoreAsync(_runtime, _volume, target, restoreFrom, CancellationToken.None).WithTimeout();
        return await File.ReadAllTextAsync(Path.Combine(target, "rows"));
    }
}
