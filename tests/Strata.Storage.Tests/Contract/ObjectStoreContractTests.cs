using System.Security.Cryptography;
using System.Text;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Storage.Tests.Contract;

/// <summary>The behaviour every <see cref="IObjectStore"/> promises, run against each implementation.</summary>
public abstract class ObjectStoreContractTests
{
    protected abstract IObjectStore Store { get; }

    [Fact]
    public async Task PutAsync_ThenOpenRead_ReturnsContent()
    {
        await PutTextAsync("images/sha256/abc.tar", "hello");

        Assert.Equal("hello", await ReadTextAsync("images/sha256/abc.tar"));
        Assert.True(await Store.ExistsAsync("images/sha256/abc.tar", CancellationToken.None).WithTimeout());
        Assert.False(await Store.ExistsAsync("images/sha256/other.tar", CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task PutAsync_EmptyObject_ReadsBackEmpty()
    {
        await PutTextAsync("empty", "");

        Assert.Equal("", await ReadTextAsync("empty"));
    }

    [Fact]
    public async Task PutAsync_ExistingKey_ReplacesContent()
    {
        await PutTextAsync("a/b", "first");
        await PutTextAsync("a/b", "second, longer");

        Assert.Equal("second, longer", await ReadTextAsync("a/b"));
    }

    [Fact]
    public async Task PutAsync_LargeUnseekableStream_ReadsBackSameBytes()
    {
        var data = RandomNumberGenerator.GetBytes(12 * 1024 * 1024 + 123);

        await Store.PutAsync("big/blob", new UnseekableStream(data), CancellationToken.None).WithTimeout();

        await using var read = await Store.OpenReadAsync("big/blob", CancellationToken.None).WithTimeout();
        var copy = new MemoryStream();
        await read.CopyToAsync(copy).WithTimeout();
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(copy.ToArray()));
        Assert.Equal(data.Length, (await ListAsync("big/")).Single().Size);
    }

    [Fact]
    public async Task OpenReadAsync_MissingKey_ThrowsObjectNotFoundNamingKey()
    {
        var error = await Assert.ThrowsAsync<ObjectNotFoundException>(() =>
            Store.OpenReadAsync("images/missing.tar", CancellationToken.None).WithTimeout());

        Assert.Equal("images/missing.tar", error.Key);
        Assert.Contains("'images/missing.tar'", error.Message);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\b")]
    [InlineData("a//b")]
    [InlineData("")]
    public async Task PutAsync_InvalidKey_ThrowsArgumentExceptionNamingKey(string key)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.PutAsync(key, new MemoryStream([1]), CancellationToken.None).WithTimeout());

        Assert.Contains($"'{key}'", error.Message);
    }

    [Fact]
    public async Task ListAsync_Prefix_ReturnsMatchingObjectsSortedByKey()
    {
        foreach (var key in new[] { "images/b", "images/a/2", "images/a/1", "imagesx", "other/c" })
        {
            await PutTextAsync(key, key);
        }

        Assert.Equal(["images/a/1", "images/a/2", "images/b", "imagesx", "other/c"], (await ListAsync("")).Select(o => o.Key));
        Assert.Equal(["images/a/1", "images/a/2", "images/b"], (await ListAsync("images/")).Select(o => o.Key));
        Assert.Equal(["images/a/1", "images/a/2"], (await ListAsync("images/a")).Select(o => o.Key));
        Assert.Equal("images/b".Length, (await ListAsync("images/b")).Single().Size);
        Assert.Empty(await ListAsync("nothing/here/"));
    }

    [Fact]
    public async Task ListAsync_ManyObjects_ReturnsEveryOne()
    {
        var keys = Enumerable.Range(0, 23).Select(i => $"many/{i:D3}").ToList();
        foreach (var key in keys)
        {
            await PutTextAsync(key, key);
        }

        Assert.Equal(keys, (await ListAsync("many/")).Select(o => o.Key));
    }

    [Fact]
    public async Task DeleteAsync_ExistingAndMissingKeys_RemovesObjectWithoutError()
    {
        await PutTextAsync("a/b", "x");

        await Store.DeleteAsync("a/b", CancellationToken.None).WithTimeout();
        await Store.DeleteAsync("a/b", CancellationToken.None).WithTimeout();
        await Store.DeleteAsync("no/such/folder/key", CancellationToken.None).WithTimeout();

        Assert.False(await Store.ExistsAsync("a/b", CancellationToken.None).WithTimeout());
        Assert.Empty(await ListAsync(""));
    }

    protected Task PutTextAsync(string key, string text) =>
        Store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None).WithTimeout();

    protected async Task<string> ReadTextAsync(string key)
    {
        await using var stream = await Store.OpenReadAsync(key, CancellationToken.None).WithTimeout();
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync().WithTimeout();
    }

    protected async Task<List<ObjectInfo>> ListAsync(string prefix)
    {
        var found = new List<ObjectInfo>();
        using var timeout = new CancellationTokenSource(Eventually.DefaultTimeout);
        await foreach (var info in Store.ListAsync(prefix, timeout.Token))
        {
            found.Add(info);
        }

        return found;
    }

    /// <summary>A source of unknown length, like a pipe: the store cannot ask it for its size.</summary>
    private sealed class UnseekableStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 100_000), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

[Trait("kind", "unit")]
public sealed class FileSystemObjectStoreContractTests : ObjectStoreContractTests, IDisposable
{
    private readonly TemporaryDirectory _root = new("strata-objects");

    public FileSystemObjectStoreContractTests() =>
        Store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _root.Path });

    protected override IObjectStore Store { get; }

    public void Dispose() => _root.Dispose();
}
