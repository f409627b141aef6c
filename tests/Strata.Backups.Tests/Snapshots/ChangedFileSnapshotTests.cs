using Strata.Backups.Chunking;
using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>
/// A changed file is read again, but (with a key) its chunks found unchanged at their place in the parent snapshot
/// are taken without being cut or named again; the snapshot records exactly the chunks a snapshot reading the whole
/// file would, whatever the change.
/// </summary>
[Trait("kind", "unit")]
public sealed class ChangedFileSnapshotTests : IDisposable
{
    private const string Key = "changed-file key";
    private const int Size = 400_000;

    private readonly TemporaryDirectory _work = new("strata-changed-file");
    private readonly IObjectStore _store;
    private readonly string _volume;
    private readonly string _file;

    public ChangedFileSnapshotTests()
    {
        _store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _work.Combine("store") });
        _volume = _work.Combine("volume");
        Directory.CreateDirectory(_volume);
        _file = Path.Combine(_volume, "data.bin");
    }

    public void Dispose() => _work.Dispose();

    public static TheoryData<string, string?> Changes() => new()
    {
        { "overwrite in the middle", null },
        { "overwrite in the middle", Key },
        { "overwrite at the start", Key },
        { "overwrite the last bytes", Key },
        { "append", Key },
        { "truncate", Key },
        { "insert at the start", Key },
        { "insert in the middle", Key },
        { "delete in the middle", Key },
        { "rewrite unchanged", Key },
        { "several overwrites", Key },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task SnapshotAsync_FileChanged_RecordsTheChunksOfAWholeReadAndRestores(string change, string? key)
    {
        var engine = TestVolumes.Engine(_store);
        var (_, changed) = await SnapshotThenChangeAsync(engine, seed: 7, change, key);

        var incremental = await engine.SnapshotAsync(TestVolumes.Request(_volume, key)).WithTimeout();
        var whole = await WholeReadEngine().SnapshotAsync(TestVolumes.Request(_volume, key)).WithTimeout();

        var expected = whole.Manifest.Entries.Single(e => e.Path == "data.bin");
        var actual = incremental.Manifest.Entries.Single(e => e.Path == "data.bin");
        Assert.Equal(expected.Chunks, actual.Chunks);
        Assert.Equal(expected.ChunkLengths, actual.ChunkLengths);
        Assert.Equal(expected.ChunkDigests, actual.ChunkDigests);
        Assert.Equal(changed.Length, incremental.BytesRead);
        if (key is null)
        {
            // Nothing is secret without a key, so no digest is recorded and nothing is matched by it.
            Assert.Null(actual.ChunkDigests);
            Assert.Equal(0, incremental.BytesMatched);
        }

        await AssertRestoresAsync(engine, incremental, key, changed);
    }

    // Most chunks of a file changed in place in one spot are taken as they were: only the chunks around the change are cut, named and stored.
    [Fact]
    public async Task SnapshotAsync_SmallOverwrite_TakesTheOtherChunksFromTheParent()
    {
        var engine = TestVolumes.Engine(_store);
        var (first, changed) = await SnapshotThenChangeAsync(engine, seed: 3, "overwrite in the middle", Key);

        var second = await engine.SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();

        var before = first.Manifest.Entries.Single(e => e.Path == "data.bin").Chunks!.ToHashSet();
        var after = second.Manifest.Entries.Single(e => e.Path == "data.bin");
        var added = Enumerable.Range(0, after.Chunks!.Count).Where(i => !before.Contains(after.Chunks[i])).ToList();
        Assert.True(before.Count > 50, $"{before.Count} chunks");
        Assert.InRange(added.Count, 1, 8);
        Assert.Equal(added.Count, second.ChunksUploaded);
        Assert.Equal(Size - added.Sum(i => (long)after.ChunkLengths![i]), second.BytesMatched);
        await AssertRestoresAsync(engine, second, Key, changed);
    }

    // A parent chunk pruned from the store since is not lent: it is cut, named and stored again.
    [Fact]
    public async Task SnapshotAsync_ParentChunkMissingFromTheStore_CutsAndStoresItAgain()
    {
        var engine = TestVolumes.Engine(_store);
        var (first, changed) = await SnapshotThenChangeAsync(engine, seed: 5, "overwrite the last bytes", Key);
        var victim = first.Manifest.Entries.Single(e => e.Path == "data.bin").Chunks![0];
        await _store.DeleteAsync(ChunkCodec.KeyOf(victim), CancellationToken.None).WithTimeout();

        var second = await engine.SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();

        Assert.True(await _store.ExistsAsync(ChunkCodec.KeyOf(victim), CancellationToken.None).WithTimeout());
        Assert.InRange(second.BytesMatched, 1, Size - 1);
        await AssertRestoresAsync(engine, second, Key, changed);
    }

    // Cut with other sizes, the parent's chunks are not where this snapshot cuts (and may be larger than it
    // allows): none is matched, and the snapshot records what a whole read does.
    [Fact]
    public async Task SnapshotAsync_ParentCutWithOtherSizes_MatchesNothingAndRestores()
    {
        var larger = new ChunkingOptions { MinSize = 4096, AverageSize = 16384, MaxSize = 65536 };
        var (_, changed) = await SnapshotThenChangeAsync(new SnapshotEngine(_store, new SnapshotEngineOptions { Chunking = larger }), seed: 9, "overwrite in the middle", Key);
        var engine = TestVolumes.Engine(_store);

        var second = await engine.SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();
        var whole = await WholeReadEngine().SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();

        Assert.Equal(0, second.BytesMatched);
        Assert.Equal(whole.Manifest.Entries.Single(e => e.Path == "data.bin").Chunks, second.Manifest.Entries.Single(e => e.Path == "data.bin").Chunks);
        await AssertRestoresAsync(engine, second, Key, changed);
    }

    // A parent recorded before chunk lengths and digests were (or with lists that disagree) has no layout to lend from.
    [Fact]
    public void ParentLayout_ListsMissingOrInconsistent_IsNone()
    {
        var entry = new SnapshotEntry { Path = "data.bin", Kind = SnapshotEntryKind.File, Size = 10, Chunks = ["a", "b"], ChunkLengths = [4, 5], ChunkDigests = ["x", "y"] };

        Assert.Null(ParentLayout.Of(entry));
        Assert.Null(ParentLayout.Of(entry with { ChunkLengths = null }));
        Assert.Null(ParentLayout.Of(entry with { ChunkLengths = [10, 0] }));
        Assert.Null(ParentLayout.Of(entry with { ChunkLengths = [4, 6], ChunkDigests = ["x"] }));
        Assert.NotNull(ParentLayout.Of(entry with { ChunkLengths = [4, 6] }));
    }

    [Fact]
    public void ChunkAt_OffsetsInIncreasingOrder_FindsTheChunksThatStartThere()
    {
        var layout = ParentLayout.Of(new SnapshotEntry
        {
            Path = "f", Kind = SnapshotEntryKind.File, Size = 10, Chunks = ["a", "b", "c"], ChunkLengths = [3, 3, 4], ChunkDigests = ["x", "y", "z"],
        })!;

        Assert.Equal(0, layout.ChunkAt(0));
        Assert.Null(layout.ChunkAt(2));
        Assert.Equal(1, layout.ChunkAt(3));
        Assert.Equal(2, layout.ChunkAt(6));
        Assert.Null(layout.ChunkAt(10));
    }

    /// <summary>Writes the file, takes the parent snapshot of it with <paramref name="engine"/>, then changes the file.</summary>
    private async Task<(SnapshotResult Parent, byte[] Changed)> SnapshotThenChangeAsync(SnapshotEngine engine, int seed, string change, string? key)
    {
        var content = RandomBytes(Size, seed);
        await File.WriteAllBytesAsync(_file, content).WithTimeout();
        var parent = await engine.SnapshotAsync(TestVolumes.Request(_volume, key)).WithTimeout();
        var changed = Change(content, change);
        await File.WriteAllBytesAsync(_file, changed).WithTimeout();
        return (parent, changed);
    }

    private SnapshotEngine WholeReadEngine() =>
        new(_store, new SnapshotEngineOptions { Chunking = TestVolumes.SmallChunks, Parallelism = 4, SkipUnchangedFiles = false });

    private static byte[] Change(byte[] content, string change)
    {
        var random = new Random(change.Length);
        var patch = RandomBytes(1000, seed: change.Length);
        var middle = content.Length / 2;
        return change switch
        {
            "overwrite in the middle" => Overwrite(content, middle, patch),
            "overwrite at the start" => Overwrite(content, 0, patch),
            "overwrite the last bytes" => Overwrite(content, content.Length - 10, patch[..10]),
            "append" => [.. content, .. patch],
            "truncate" => content[..(content.Length - 5000)],
            "insert at the start" => [.. patch, .. content],
            "insert in the middle" => [.. content[..middle], .. patch, .. content[middle..]],
            "delete in the middle" => [.. content[..middle], .. content[(middle + 3000)..]],
            "rewrite unchanged" => [.. content],
            "several overwrites" => Enumerable.Range(0, 8).Aggregate(content, (c, _) => Overwrite(c, random.Next(c.Length - patch.Length), patch)),
            _ => throw new ArgumentOutOfRangeException(nameof(change), change, null),
        };
    }

    private static byte[] Overwrite(byte[] content, int at, byte[] patch)
    {
        var copy = (byte[])content.Clone();
        patch.CopyTo(copy, at);
        return copy;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task AssertRestoresAsync(SnapshotEngine engine, SnapshotResult result, string? key, byte[] expected)
    {
        var target = _work.Combine($"restored-{result.Manifest.Id}");
        await engine.RestoreAsync(result.Manifest.Id, target, key).WithTimeout();
        Assert.Equal(expected, await File.ReadAllBytesAsync(Path.Combine(target, "data.bin")).WithTimeout());
    }
}
