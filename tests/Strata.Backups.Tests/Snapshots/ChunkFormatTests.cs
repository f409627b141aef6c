using Strata.Backups.Chunking;
using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;
using ZstdSharp;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>How chunks are stored: zstd where it pays, as they are where it does not, and refused when forged.</summary>
[Trait("kind", "unit")]
public sealed class ChunkFormatTests : IDisposable
{
    private readonly TemporaryDirectory _work = new("strata-chunk-format");
    private readonly IObjectStore _store;
    private readonly SnapshotEngine _engine;
    private readonly string _volume;

    public ChunkFormatTests()
    {
        _store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _work.Combine("store") });
        _engine = TestVolumes.Engine(_store);
        _volume = _work.Combine("volume");
        Directory.CreateDirectory(_volume);
        TestVolumes.Fill(_volume);
        Directory.CreateDirectory(_work.Combine("restore"));
    }

    public void Dispose()
    {
        File.SetUnixFileMode(_work.Combine("volume", "empty"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _work.Dispose();
    }

    // Flags: 1 Deflate (read only), 2 encrypted, 4 zstd.
    [Theory]
    [InlineData(null, 4, 0)]
    [InlineData("k", 6, 2)]
    public async Task SnapshotAsync_TextAndNoise_TextIsZstdAndNoiseStoredAsItIs(string? key, int textFlags, int noiseFlags)
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume, key)).WithTimeout();

        var text = await FlagsOfAsync(result.Manifest, "pg/log.txt");
        var noise = await FlagsOfAsync(result.Manifest, "pg/base/16384");
        Assert.All(text, flags => Assert.Equal(textFlags, flags));
        Assert.All(noise, flags => Assert.Equal(noiseFlags, flags));
        var textStored = await StoredBytesAsync(result.Manifest, "pg/log.txt");
        var textSize = result.Manifest.Entries.Single(e => e.Path == "pg/log.txt").Size;
        Assert.True(textStored < textSize / 2, $"the log's chunks take {textStored} bytes for {textSize}");
        await _engine.RestoreAsync(result.Manifest.Id, _work.Combine("restore", "target"), key).WithTimeout();
        Assert.Equal(TestVolumes.Describe(_volume), TestVolumes.Describe(_work.Combine("restore", "target")));
    }

    // 8 MiB of zeros make a zstd frame of a few hundred bytes that declares far more than a chunk (16 KiB here) can hold.
    [Fact]
    public async Task RestoreAsync_ZstdBomb_FailsClearlyWithBoundedMemory()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var victim = result.Manifest.Entries.Single(e => e.Path == "pg/log.txt").Chunks![0];
        using var compressor = new Compressor(19);
        byte[] bomb = [4, .. compressor.Wrap(new byte[8 << 20]).ToArray()];
        await _store.PutAsync(ChunkCodec.KeyOf(victim), new MemoryStream(bomb), CancellationToken.None);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _engine.RestoreAsync(result.Manifest.Id, _work.Combine("restore", "target"))).WithTimeout();

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.Equal(ChunkCodec.KeyOf(victim), error.ObjectKey);
        Assert.Contains("does not declare a size within 16384 bytes", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64L * 1024 * 1024, $"the restore allocated {allocated / (1024 * 1024)} MiB");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work.Combine("restore")));
    }

    // Both compression flags at once, or a bit no version writes, is not a format.
    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    public async Task RestoreAsync_UnknownFlags_FailsNamingTheChunk(byte flags)
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var victim = result.Manifest.Entries.Single(e => e.Path == "pg/log.txt").Chunks![0];
        var stored = await ChunkRepository.ReadAllAsync(_store, ChunkCodec.KeyOf(victim), CancellationToken.None);
        stored[0] = flags;
        await _store.PutAsync(ChunkCodec.KeyOf(victim), new MemoryStream(stored), CancellationToken.None);

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _engine.RestoreAsync(result.Manifest.Id, _work.Combine("restore", "target"))).WithTimeout();

        Assert.Equal(ChunkCodec.KeyOf(victim), error.ObjectKey);
        Assert.Contains("has an unknown format", error.Message, StringComparison.Ordinal);
    }

    private async Task<List<int>> FlagsOfAsync(SnapshotManifest manifest, string path)
    {
        var flags = new List<int>();
        foreach (var id in manifest.Entries.Single(e => e.Path == path).Chunks!)
        {
            flags.Add((await ChunkRepository.ReadAllAsync(_store, ChunkCodec.KeyOf(id), CancellationToken.None))[0]);
        }

        return flags;
    }

    private async Task<long> StoredBytesAsync(SnapshotManifest manifest, string path)
    {
        long total = 0;
        foreach (var id in manifest.Entries.Single(e => e.Path == path).Chunks!.Distinct())
        {
            total += (await ChunkRepository.ReadAllAsync(_store, ChunkCodec.KeyOf(id), CancellationToken.None)).Length;
        }

        return total;
    }
}
