using Strata.Backups.Chunking;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>A restore writes several files at once, so that both cores copy into the page cache.</summary>
[Trait("kind", "unit")]
public sealed class ParallelRestoreTests : IDisposable
{
    private readonly TemporaryDirectory _work = new("strata-parallel-restore");

    public void Dispose() => _work.Dispose();

    // The first file's chunks are held back until a chunk of the second file is read: restoring one file at a time,
    // the restore would wait for them forever (here: fail after the gate's timeout).
    [Fact]
    public async Task RestoreAsync_FirstFileHeldBack_SecondFileIsRestoredMeanwhile()
    {
        var volume = _work.Combine("volume");
        Directory.CreateDirectory(volume);
        var noise = new byte[300_000];
        new Random(3).NextBytes(noise);
        await File.WriteAllBytesAsync(Path.Combine(volume, "a.bin"), noise);
        await File.WriteAllTextAsync(Path.Combine(volume, "b.txt"), "the second file\n");
        var store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _work.Combine("store") });
        var snapshot = await TestVolumes.Engine(store).SnapshotAsync(TestVolumes.Request(volume, "k")).WithTimeout();
        var entries = snapshot.Manifest.Entries;
        var gated = new GatedStore(store,
            held: entries.Single(e => e.Path == "a.bin").Chunks!.Select(ChunkCodec.KeyOf).ToHashSet(),
            opener: ChunkCodec.KeyOf(entries.Single(e => e.Path == "b.txt").Chunks!.Single()));

        await TestVolumes.Engine(gated).RestoreAsync(snapshot.Manifest.Id, _work.Combine("target"), "k").WithTimeout();

        Assert.Equal(TestVolumes.Describe(volume), TestVolumes.Describe(_work.Combine("target")));
    }

    /// <summary>A real store whose reads of <c>held</c> keys wait (10 s at most) until <c>opener</c> has been read.</summary>
    private sealed class GatedStore(IObjectStore inner, IReadOnlySet<string> held, string opener) : IObjectStore
    {
        private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => inner.Name;

        public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
        {
            if (key == opener)
            {
                _opened.TrySetResult();
            }
            else if (held.Contains(key))
            {
                await _opened.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            }

            return await inner.OpenReadAsync(key, ct);
        }

        public Task PutAsync(string key, Stream content, CancellationToken ct) => inner.PutAsync(key, content, ct);

        public Task<bool> ExistsAsync(string key, CancellationToken ct) => inner.ExistsAsync(key, ct);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);

        public Task DeleteAsync(string key, CancellationToken ct) => inner.DeleteAsync(key, ct);
    }
}
