using Strata.Backups.Retention;
using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Testing;

namespace Strata.Backups.Tests.Retention;

[Trait("kind", "unit")]
public sealed class SnapshotPrunerTests : IDisposable
{
    private readonly TemporaryDirectory _work = new("strata-prune");
    private readonly TemporaryDirectory _objects = new("strata-prune-store");
    private readonly IObjectStore _store;
    private readonly SnapshotEngine _engine;

    public SnapshotPrunerTests()
    {
        _store = TestVolumes.FileStore(_objects);
        _engine = TestVolumes.Engine(_store);
    }

    public void Dispose()
    {
        _work.Dispose();
        _objects.Dispose();
    }

    [Fact]
    public async Task PruneAsync_AfterGracePeriod_RemovesOldSnapshotAndOnlyItsUnreferencedChunks()
    {
        var (old, kept) = await TwoSnapshotsOfChangingFileAsync();
        var later = new ManualTimeProvider(DateTimeOffset.UtcNow.AddHours(2));

        var result = await new SnapshotPruner(_store, timeProvider: later).PruneAsync(new SnapshotFilter("shop"), new RetentionPolicy(KeepLast: 1)).WithTimeout();

        Assert.Equal([old.Manifest.Id], result.RemovedSnapshots);
        Assert.False(result.ChunkDeletionDeferred);
        var onlyOld = old.Manifest.ChunkIds().Except(kept.Manifest.ChunkIds()).ToList();
        Assert.Equal(onlyOld.Count, result.RemovedChunks);
        Assert.Equal(
            kept.Manifest.ChunkIds().Select(id => $"chunks/{id[..2]}/{id}").Order(StringComparer.Ordinal),
            await TestVolumes.ChunkKeysAsync(_store));
        await _engine.RestoreAsync(kept.Manifest.Id, _work.Combine("restored")).WithTimeout();
        Assert.True((await _engine.VerifyAsync(kept.Manifest.Id).WithTimeout()).Ok);
    }

    [Fact]
    public async Task PruneAsync_WithinGracePeriod_RemovesManifestButKeepsYoungChunks()
    {
        var (old, _) = await TwoSnapshotsOfChangingFileAsync();
        var chunks = await TestVolumes.ChunkKeysAsync(_store);

        var result = await new SnapshotPruner(_store).PruneAsync(SnapshotFilter.All, new RetentionPolicy(KeepLast: 1)).WithTimeout();

        Assert.Equal([old.Manifest.Id], result.RemovedSnapshots);
        Assert.Equal(0, result.RemovedChunks);
        Assert.Equal(chunks, await TestVolumes.ChunkKeysAsync(_store));
    }

    [Fact]
    public async Task PruneAsync_SnapshotRunning_DefersChunkDeletion()
    {
        await TwoSnapshotsOfChangingFileAsync();
        await _store.PutAsync("locks/20260101T000000Z-0000abcd", new MemoryStream([1]), CancellationToken.None).WithTimeout();
        var later = new ManualTimeProvider(DateTimeOffset.UtcNow.AddMinutes(30));

        var result = await new SnapshotPruner(_store, new PruneOptions { GracePeriod = TimeSpan.FromHours(1) }, later)
            .PruneAsync(SnapshotFilter.All, new RetentionPolicy(KeepLast: 1)).WithTimeout();

        Assert.True(result.ChunkDeletionDeferred);
        Assert.Equal(0, result.RemovedChunks);
    }

    private async Task<(SnapshotResult Old, SnapshotResult Kept)> TwoSnapshotsOfChangingFileAsync()
    {
        var volume = _work.Combine("volume");
        Directory.CreateDirectory(volume);
        var data = new byte[200_000];
        new Random(11).NextBytes(data);
        await File.WriteAllBytesAsync(Path.Combine(volume, "a.bin"), data);
        var old = await _engine.SnapshotAsync(TestVolumes.Request(volume)).WithTimeout();
        new Random(12).NextBytes(data.AsSpan(100_000, 50_000));
        await File.WriteAllBytesAsync(Path.Combine(volume, "a.bin"), data);
        var kept = await _engine.SnapshotAsync(TestVolumes.Request(volume)).WithTimeout();
        Assert.NotEmpty(old.Manifest.ChunkIds().Except(kept.Manifest.ChunkIds()));
        return (old, kept);
    }
}
