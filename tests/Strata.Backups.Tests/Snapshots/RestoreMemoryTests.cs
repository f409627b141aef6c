using Strata.Backups.Chunking;
using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>
/// Counting allocations is only meaningful with nothing else running in the process, so this collection runs alone.
/// </summary>
[CollectionDefinition(nameof(AllocationCounting), DisableParallelization = true)]
public sealed class AllocationCounting;

/// <summary>
/// A restore keeps a few pooled arrays for the chunks in flight instead of allocating new ones for each chunk's stored
/// bytes, decrypted bytes and content: allocating (and having the kernel zero) about three times the restored data
/// was much of a restore's CPU time.
/// </summary>
[Trait("kind", "unit")]
[Collection(nameof(AllocationCounting))]
public sealed class RestoreMemoryTests : IDisposable
{
    private const int FileSize = 24 << 20;

    private readonly TemporaryDirectory _work = new("strata-restore-memory");

    public void Dispose() => _work.Dispose();

    [Theory]
    [InlineData(null)]
    [InlineData("k")]
    public async Task RestoreAsync_About48MiB_AllocatesLessThanHalfOfIt(string? key)
    {
        var volume = _work.Combine("volume");
        Directory.CreateDirectory(volume);
        var noise = new byte[FileSize];
        new Random(7).NextBytes(noise);
        await File.WriteAllBytesAsync(_work.Combine("volume", "noise.bin"), noise);
        // Compressible, so that half the chunks are decompressed too.
        await File.WriteAllTextAsync(_work.Combine("volume", "log.txt"), Convert.ToBase64String(noise.AsSpan(0, FileSize / 4 * 3), Base64FormattingOptions.InsertLineBreaks));
        var store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _work.Combine("store") });
        var engine = new SnapshotEngine(store, new SnapshotEngineOptions { Chunking = new ChunkingOptions(), Parallelism = 4 });
        var result = await engine.SnapshotAsync(TestVolumes.Request(volume, key)).WithTimeout();
        var before = GC.GetTotalAllocatedBytes(precise: true);

        await engine.RestoreAsync(result.Manifest.Id, _work.Combine("target"), key).WithTimeout();

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(TestVolumes.Describe(volume), TestVolumes.Describe(_work.Combine("target")));
        var restored = result.Manifest.TotalBytes;
        Assert.True(allocated < restored / 2, $"restoring {restored >> 20} MiB allocated {allocated >> 20} MiB");
    }
}
