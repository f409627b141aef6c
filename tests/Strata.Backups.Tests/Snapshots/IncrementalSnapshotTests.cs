using Strata.Backups.Chunking;
using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>
/// A snapshot takes the files whose size, inode, modification time and change time are unchanged from the
/// volume's newest snapshot instead of reading them; anything that could have changed a file is read again.
/// </summary>
[Trait("kind", "unit")]
public sealed class IncrementalSnapshotTests : IDisposable
{
    private const string Key = "incremental key";

    private readonly TemporaryDirectory _work = new("strata-incremental");
    private readonly IObjectStore _store;
    private readonly SnapshotEngine _engine;
    private readonly string _volume;
    private readonly string _log;

    public IncrementalSnapshotTests()
    {
        _store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _work.Combine("store") });
        _engine = TestVolumes.Engine(_store);
        _volume = _work.Combine("volume");
        Directory.CreateDirectory(_volume);
        TestVolumes.Fill(_volume);
        _log = Path.Combine(_volume, "pg", "log.txt");
    }

    public void Dispose()
    {
        File.SetUnixFileMode(_work.Combine("volume", "empty"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _work.Dispose();
    }

    [Theory]
    [InlineData(null)]
    [InlineData(Key)]
    public async Task SnapshotAsync_OneFileChanged_ReadsOnlyThatFileAndRestoresEverything(string? key)
    {
        await _engine.SnapshotAsync(TestVolumes.Request(_volume, key)).WithTimeout();
        await File.AppendAllTextAsync(_log, "one more line\n");

        var second = await _engine.SnapshotAsync(TestVolumes.Request(_volume, key)).WithTimeout();

        Assert.Equal(new FileInfo(_log).Length, second.BytesRead);
        await AssertRestoresAsync(second, key);
    }

    // Same size, and the modification time set back: only the change time tells, and it is enough.
    [Fact]
    public async Task SnapshotAsync_SameSizeRewriteWithModificationTimeSetBack_ReadsTheFileAgain()
    {
        await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var modified = File.GetLastWriteTimeUtc(_log);
        var content = await File.ReadAllBytesAsync(_log);
        content[100] = (byte)'X';
        await File.WriteAllBytesAsync(_log, content);
        File.SetLastWriteTimeUtc(_log, modified);

        var second = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();

        Assert.Equal(content.Length, second.BytesRead);
        await AssertRestoresAsync(second, null);
    }

    // A file replaced by another with the same size and times has another inode.
    [Fact]
    public async Task SnapshotAsync_FileReplacedByRename_ReadsTheFileAgain()
    {
        await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var info = new FileInfo(_log);
        var replacement = _work.Combine("replacement");
        var content = await File.ReadAllBytesAsync(_log);
        content[^2] = (byte)'!';
        await File.WriteAllBytesAsync(replacement, content);
        File.SetLastWriteTimeUtc(replacement, info.LastWriteTimeUtc);
        File.Move(replacement, _log, overwrite: true);

        var second = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();

        Assert.Equal(content.Length, second.BytesRead);
        await AssertRestoresAsync(second, null);
    }

    // A parent whose chunks are gone (pruned, say) cannot lend them: the files are read again.
    [Fact]
    public async Task SnapshotAsync_ParentChunkMissing_ReadsTheFileAgainAndStoresTheChunk()
    {
        var first = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var victim = first.Manifest.Entries.Single(e => e.Path == "pg/log.txt").Chunks![0];
        await _store.DeleteAsync(ChunkCodec.KeyOf(victim), CancellationToken.None);

        var second = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();

        Assert.Equal(new FileInfo(_log).Length, second.BytesRead);
        Assert.True(await _store.ExistsAsync(ChunkCodec.KeyOf(victim), CancellationToken.None));
        await AssertRestoresAsync(second, null);
    }

    // Chunk ids depend on the key, so a snapshot under another key (or none) lends nothing.
    [Fact]
    public async Task SnapshotAsync_ParentTakenWithAnotherKey_ReadsEverything()
    {
        var first = await _engine.SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();

        var second = await _engine.SnapshotAsync(TestVolumes.Request(_volume, "another key")).WithTimeout();

        Assert.Equal(first.BytesRead, second.BytesRead);
        await AssertRestoresAsync(second, "another key");
    }

    [Fact]
    public async Task SnapshotAsync_SkipUnchangedFilesOff_ReadsEverything()
    {
        var engine = new SnapshotEngine(_store, new SnapshotEngineOptions { Chunking = TestVolumes.SmallChunks, Parallelism = 4, SkipUnchangedFiles = false });
        var first = await engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();

        var second = await engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();

        Assert.Equal(first.BytesRead, second.BytesRead);
        Assert.Equal(0, second.ChunksUploaded);
    }

    private async Task AssertRestoresAsync(SnapshotResult result, string? key)
    {
        var target = _work.Combine($"restored-{result.Manifest.Id}");
        await _engine.RestoreAsync(result.Manifest.Id, target, key).WithTimeout();
        Assert.Equal(TestVolumes.Describe(_volume), TestVolumes.Describe(target));
        File.SetUnixFileMode(Path.Combine(target, "empty"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
