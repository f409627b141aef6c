using System.Collections.Concurrent;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>
/// Chunks are written without a flush each and flushed together; the manifest, written last and flushed on its
/// own, must never reach the disk before the chunks it names.
/// </summary>
[Trait("kind", "unit")]
public sealed class FlushOrderTests : IDisposable
{
    private readonly TemporaryDirectory _work = new("strata-flush-order");

    public void Dispose()
    {
        File.SetUnixFileMode(_work.Combine("volume", "empty"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _work.Dispose();
    }

    [Fact]
    public async Task SnapshotAsync_FlushableStore_FlushesEveryChunkOnceBeforeTheManifest()
    {
        var store = new RecordingStore((IFlushableObjectStore)ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _work.Combine("store") }));
        Directory.CreateDirectory(_work.Combine("volume"));
        TestVolumes.Fill(_work.Combine("volume"));

        var result = await TestVolumes.Engine(store).SnapshotAsync(TestVolumes.Request(_work.Combine("volume"), "key")).WithTimeout();

        var calls = store.Calls.ToList();
        var flush = calls.IndexOf("flush");
        var manifest = calls.IndexOf($"put {result.ManifestKey}");
        Assert.Equal(1, calls.Count(c => c == "flush"));
        Assert.True(flush < manifest, string.Join("\n", calls));
        Assert.Equal(result.ChunksUploaded, calls.Take(flush).Count(c => c.StartsWith("unflushed chunks/", StringComparison.Ordinal)));
        Assert.DoesNotContain(calls, c => c.StartsWith("put chunks/", StringComparison.Ordinal) || (c.StartsWith("unflushed", StringComparison.Ordinal) && calls.IndexOf(c) > flush));
    }

    /// <summary>A real filesystem store that records, in order, which writes and flushes it was asked for.</summary>
    private sealed class RecordingStore(IFlushableObjectStore inner) : IFlushableObjectStore
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        public string Name => inner.Name;

        public Task PutAsync(string key, Stream content, CancellationToken ct)
        {
            Calls.Enqueue($"put {key}");
            return inner.PutAsync(key, content, ct);
        }

        public Task PutUnflushedAsync(string key, Stream content, CancellationToken ct)
        {
            Calls.Enqueue($"unflushed {key}");
            return inner.PutUnflushedAsync(key, content, ct);
        }

        public Task FlushAsync(CancellationToken ct)
        {
            Calls.Enqueue("flush");
            return inner.FlushAsync(ct);
        }

        public Task<Stream> OpenReadAsync(string key, CancellationToken ct) => inner.OpenReadAsync(key, ct);

        public Task<bool> ExistsAsync(string key, CancellationToken ct) => inner.ExistsAsync(key, ct);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);

        public Task DeleteAsync(string key, CancellationToken ct) => inner.DeleteAsync(key, ct);
    }
}
