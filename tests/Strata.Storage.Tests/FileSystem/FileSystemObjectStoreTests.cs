using System.Text;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Storage.Tests.FileSystem;

[Trait("kind", "unit")]
public sealed class FileSystemObjectStoreTests : IDisposable
{
    private readonly TemporaryDirectory _root = new("strata-objects");
    private readonly IObjectStore _store;

    public FileSystemObjectStoreTests()
    {
        _store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _root.Path });
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task PutAsync_ThenOpenRead_ReturnsContent()
    {
        await PutTextAsync("images/sha256/abc.tar", "hello");

        Assert.Equal("hello", await ReadTextAsync("images/sha256/abc.tar"));
        Assert.True(await _store.ExistsAsync("images/sha256/abc.tar", CancellationToken.None).WithTimeout());
        Assert.Equal("filesystem", _store.Name);
    }

    [Fact]
    public async Task PutAsync_NewKey_FileOwnerOnlyAndFoldersOwnerOnly()
    {
        await PutTextAsync("snapshots/web/manifest-1", "secret data");

        var file = _root.Combine("snapshots", "web", "manifest-1");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_root.Combine("snapshots")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_root.Combine("snapshots", "web")));
    }

    [Fact]
    public async Task PutUnflushedAsync_ThenFlush_ObjectIsReadableOwnerOnlyWithNoTemporaryFile()
    {
        var store = Assert.IsAssignableFrom<IFlushableObjectStore>(_store);

        await store.PutUnflushedAsync("chunks/ab/abc", new MemoryStream(Encoding.UTF8.GetBytes("chunk bytes")), CancellationToken.None).WithTimeout();
        await store.FlushAsync(CancellationToken.None).WithTimeout();

        Assert.Equal("chunk bytes", await ReadTextAsync("chunks/ab/abc"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_root.Combine("chunks", "ab", "abc")));
        Assert.Equal(["abc"], Directory.GetFiles(_root.Combine("chunks", "ab")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task FlushAsync_RootNotCreatedYet_Succeeds()
    {
        var store = (IFlushableObjectStore)ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _root.Combine("not-yet") });

        await store.FlushAsync(CancellationToken.None).WithTimeout();

        Assert.False(Directory.Exists(_root.Combine("not-yet")));
    }

    [Fact]
    public async Task PutAsync_ExistingKey_ReplacesContent()
    {
        await PutTextAsync("a/b", "first");
        await PutTextAsync("a/b", "second, longer");

        Assert.Equal("second, longer", await ReadTextAsync("a/b"));
    }

    [Fact]
    public async Task PutAsync_SourceFailsMidway_LeavesPreviousObjectAndNoTemporaryFile()
    {
        await PutTextAsync("a/b", "intact");

        await Assert.ThrowsAsync<IOException>(() =>
            _store.PutAsync("a/b", new FailingStream(bytesBeforeFailure: 10_000), CancellationToken.None).WithTimeout());

        Assert.Equal("intact", await ReadTextAsync("a/b"));
        Assert.Equal(["b"], Directory.GetFiles(_root.Combine("a")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task OpenReadAsync_WhilePutsReplaceObject_AlwaysSeesACompleteObject()
    {
        var small = new string('a', 10);
        var large = new string('b', 1_000_000);
        await PutTextAsync("k", small);
        const int puts = 30;
        var reads = 0;
        // Each put waits for a read after the one before it, so reads overlap the replacements whatever the
        // scheduling, and both versions are read.
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < puts; i++)
            {
                var readsBefore = Volatile.Read(ref reads);
                await PutTextAsync("k", i % 2 == 0 ? large : small);
                await Eventually.WaitAsync(() => Volatile.Read(ref reads) > readsBefore, "a read between two puts");
            }
        });

        var seen = new HashSet<int>();
        while (!writer.IsCompleted)
        {
            var text = await ReadTextAsync("k");
            Assert.True(text == small || text == large, $"read a partial object of {text.Length} characters");
            seen.Add(text.Length);
            Interlocked.Increment(ref reads);
        }

        await writer.WithTimeout();
        Assert.True(reads >= puts, $"only {reads} reads overlapped {puts} puts");
        Assert.Equal([small.Length, large.Length], seen.Order());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\b")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("")]
    public async Task PutAsync_InvalidKey_ThrowsArgumentExceptionNamingKey(string key)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            _store.PutAsync(key, new MemoryStream([1]), CancellationToken.None).WithTimeout());

        Assert.Contains($"'{key}'", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(_root.Path)!, "escape"));
    }

    [Fact]
    public async Task OpenReadAsync_TraversalKey_ThrowsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.OpenReadAsync("../x", CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task OpenReadAsync_MissingKey_ThrowsObjectNotFoundNamingKey()
    {
        var error = await Assert.ThrowsAsync<ObjectNotFoundException>(() =>
            _store.OpenReadAsync("images/missing.tar", CancellationToken.None).WithTimeout());

        Assert.Equal("images/missing.tar", error.Key);
        Assert.Contains("'images/missing.tar'", error.Message);
    }

    [Fact]
    public async Task ListAsync_Prefix_ReturnsMatchingObjectsSortedByKey()
    {
        foreach (var key in new[] { "images/b", "images/a/2", "images/a/1", "imagesx", "other/c" })
        {
            await PutTextAsync(key, key);
        }

        var all = await ListAsync("");
        var images = await ListAsync("images/");
        var partial = await ListAsync("images/a");

        Assert.Equal(["images/a/1", "images/a/2", "images/b", "imagesx", "other/c"], all.Select(o => o.Key));
        Assert.Equal(["images/a/1", "images/a/2", "images/b"], images.Select(o => o.Key));
        Assert.Equal(["images/a/1", "images/a/2"], partial.Select(o => o.Key));
        Assert.Equal("images/b".Length, images.Single(o => o.Key == "images/b").Size);
    }

    [Fact]
    public async Task ListAsync_MissingPrefixFolder_ReturnsEmpty()
    {
        Assert.Empty(await ListAsync("nothing/here/"));
    }

    [Fact]
    public async Task DeleteAsync_ExistingAndMissingKeys_RemovesObjectWithoutError()
    {
        await PutTextAsync("a/b", "x");

        await _store.DeleteAsync("a/b", CancellationToken.None).WithTimeout();
        await _store.DeleteAsync("a/b", CancellationToken.None).WithTimeout();
        await _store.DeleteAsync("no/such/folder/key", CancellationToken.None).WithTimeout();

        Assert.False(await _store.ExistsAsync("a/b", CancellationToken.None).WithTimeout());
        Assert.Empty(await ListAsync(""));
    }

    private Task PutTextAsync(string key, string text) =>
        _store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None).WithTimeout();

    private async Task<string> ReadTextAsync(string key)
    {
        await using var stream = await _store.OpenReadAsync(key, CancellationToken.None).WithTimeout();
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync().WithTimeout();
    }

    private async Task<List<ObjectInfo>> ListAsync(string prefix)
    {
        var found = new List<ObjectInfo>();
        await foreach (var info in _store.ListAsync(prefix, CancellationToken.None).WithCancellation(CancellationToken.None))
        {
            found.Add(info);
        }

        return found;
    }

    /// <summary>A source that delivers some bytes and then fails, like a network stream cut mid-transfer.</summary>
    private sealed class FailingStream(int bytesBeforeFailure) : Stream
    {
        private int _delivered;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _delivered; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_delivered >= bytesBeforeFailure)
            {
                throw new IOException("connection reset");
            }

            var n = Math.Min(count, bytesBeforeFailure - _delivered);
            Array.Fill(buffer, (byte)'z', offset, n);
            _delivered += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
