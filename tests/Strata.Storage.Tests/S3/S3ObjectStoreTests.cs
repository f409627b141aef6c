using Strata.Storage.S3;
using Strata.Storage.Tests.Contract;
using Strata.Testing;

namespace Strata.Storage.Tests.S3;

[Trait("kind", "e2e")]
public sealed class S3ObjectStoreTests(S3rverProcess server) : ObjectStoreContractTests, IClassFixture<S3rverProcess>, IDisposable
{
    private readonly IObjectStore _store = ObjectStores.CreateS3(server.Options());

    protected override IObjectStore Store => _store;

    public void Dispose() => ((IDisposable)_store).Dispose();

    [Fact]
    public void Name_IsS3()
    {
        Assert.Equal("s3", Store.Name);
    }

    [Fact]
    public async Task ListAsync_PrefixedStore_SeesOnlyItsOwnObjects()
    {
        using var other = (IDisposable)ObjectStores.CreateS3(server.Options("other-store/"));
        await ((IObjectStore)other).PutAsync("k", new MemoryStream([1]), CancellationToken.None).WithTimeout();
        await PutTextAsync("mine", "m");

        Assert.Equal(["mine"], (await ListAsync("")).Select(o => o.Key));
    }

    [Fact]
    public async Task PutAsync_UnreachableEndpoint_RetriesThenThrowsUnavailableNamingEndpoint()
    {
        var options = UnreachableOptions(retries: 3);
        using var unreachable = (IDisposable)ObjectStores.CreateS3(options);

        var error = await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() =>
            ((IObjectStore)unreachable).PutAsync("k", new MemoryStream([1]), CancellationToken.None).WithTimeout());

        Assert.Equal(4, error.Attempts);
        Assert.Contains(options.ServiceUrl, error.Message);
        Assert.Contains("'k'", error.Message);
    }

    [Fact]
    public async Task PutAsync_UnreachableEndpoint_TellsTheObserverOfItsFlowOfEachRetryAndNobodyElse()
    {
        var options = UnreachableOptions(retries: 2);
        using var unreachable = (IDisposable)ObjectStores.CreateS3(options);
        var store = (IObjectStore)unreachable;
        var heard = new System.Collections.Concurrent.ConcurrentQueue<ObjectStoreRetry>();
        var heardBesides = new System.Collections.Concurrent.ConcurrentQueue<ObjectStoreRetry>();
        var scopeEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task besides, outliving;

        using (ObjectStoreRetries.Observe(retry =>
        {
            heard.Enqueue(retry);
            return ValueTask.CompletedTask;
        }))
        {
            // Another flow, with an observer of its own that fails: its store's request is not failed by that.
            besides = Task.Run(async () =>
            {
                using var _ = ObjectStoreRetries.Observe(retry =>
                {
                    heardBesides.Enqueue(retry);
                    throw new ObjectDisposedException("the response");
                });
                await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.ExistsAsync("other", CancellationToken.None).WithTimeout());
            });
            // Work of this flow that outlives the scope: its retries come after the scope has ended, and tell nobody.
            outliving = Task.Run(async () =>
            {
                await scopeEnded.Task;
                await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.PutAsync("late", new MemoryStream([1]), CancellationToken.None).WithTimeout());
            });
            await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.PutAsync("k", new MemoryStream([1]), CancellationToken.None).WithTimeout());
        }

        scopeEnded.SetResult();
        await outliving.WithTimeout();
        await besides.WithTimeout();
        await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.PutAsync("after", new MemoryStream([1]), CancellationToken.None).WithTimeout());

        Assert.Equal([1, 2], heard.Select(r => r.Attempt));
        Assert.All(heard, r =>
        {
            Assert.Equal(("s3", 3, "put 'k'"), (r.Store, r.Attempts, r.Operation));
            Assert.StartsWith(options.ServiceUrl, r.Endpoint, StringComparison.Ordinal);
        });
        Assert.Contains("the s3 object store at " + options.ServiceUrl, heard.First().ToString(), StringComparison.Ordinal);
        Assert.Contains("(attempt 2 of 3)", heard.First().ToString(), StringComparison.Ordinal);
        Assert.Equal([1, 2], heardBesides.Select(r => r.Attempt));
        Assert.All(heardBesides, r => Assert.Equal("head 'other'", r.Operation));
    }

    [Fact]
    public async Task OpenReadAsync_WrongCredentials_FailsWithoutRetrying()
    {
        var options = await PutWithGoodCredentialsAsync("k", "written with good credentials");
        await using var relay = await CountingHttpRelay.StartAsync(server.ServiceUrl);
        options.ServiceUrl = relay.Url;
        // s3rver checks a SigV4 request's access key id but not its signature, so the key id is what is wrong here.
        options.AccessKey = "WRONG";
        options.SecretKey = "wrong";
        options.MaxRetryAttempts = 3;
        using var store = (IDisposable)ObjectStores.CreateS3(options);

        var error = await Assert.ThrowsAsync<ObjectStoreAccessDeniedException>(() =>
            ((IObjectStore)store).OpenReadAsync("k", CancellationToken.None).WithTimeout());

        Assert.Equal("InvalidAccessKeyId", error.Reason);
        Assert.Contains("secret key", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, relay.Requests);
    }

    [Fact]
    public async Task OpenReadAsync_ThroughCountingRelay_GoodCredentialsReadTheObject()
    {
        // The relay itself must not be what fails the wrong-credentials case above.
        var options = await PutWithGoodCredentialsAsync("k", "through the relay");
        await using var relay = await CountingHttpRelay.StartAsync(server.ServiceUrl);
        options.ServiceUrl = relay.Url;
        using var store = (IDisposable)ObjectStores.CreateS3(options);

        await using var content = await ((IObjectStore)store).OpenReadAsync("k", CancellationToken.None).WithTimeout();
        using var reader = new StreamReader(content);

        Assert.Equal("through the relay", await reader.ReadToEndAsync());
        Assert.Equal(1, relay.Requests);
    }

    [Theory]
    [InlineData(100_000, 0)]
    [InlineData(3 << 20, 0)]
    [InlineData(100_000, 10)]
    public async Task PutAsync_FirstAttemptRefusedAfterItsBody_RetrySendsTheStreamAgainFromWhereItStood(int size, int start)
    {
        // Bytes in memory at their start go up without a copy, so a retry must send them whole again, not from where
        // the refused attempt left the stream; a stream read partly already is stored from where it stood.
        var options = server.Options();
        options.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
        await using var relay = await CountingHttpRelay.StartAsync(server.ServiceUrl);
        options.ServiceUrl = relay.Url;
        using var store = (IDisposable)ObjectStores.CreateS3(options);
        var data = new byte[size];
        new Random(size).NextBytes(data);
        var content = new MemoryStream(data, writable: false) { Position = start };
        relay.FailNext(1);

        await ((IObjectStore)store).PutAsync("retried", content, CancellationToken.None).WithTimeout();

        Assert.Equal(2, relay.Requests);
        await using var read = await ((IObjectStore)store).OpenReadAsync("retried", CancellationToken.None).WithTimeout();
        var copy = new MemoryStream();
        await read.CopyToAsync(copy).WithTimeout();
        Assert.True(copy.ToArray().AsSpan().SequenceEqual(data.AsSpan(start)), $"{copy.Length} of {size - start} bytes read back, or other bytes");
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(5 << 20, false)]
    [InlineData(5 << 20, true)]
    public async Task OpenReadCheckedByCallerAsync_AnySize_ReadsTheWholeObjectInOneRequest(int size, bool withoutContentLength)
    {
        await using var relay = await CountingHttpRelay.StartAsync(server.ServiceUrl);
        relay.WithoutContentLength = withoutContentLength;
        var options = server.Options();
        options.ServiceUrl = relay.Url;
        using var store = (IDisposable)ObjectStores.CreateS3(options);
        var data = new byte[size];
        new Random(size).NextBytes(data);
        await ((IObjectStore)store).PutAsync("checked-by-caller", new MemoryStream(data), CancellationToken.None).WithTimeout();
        var before = relay.Requests;

        await using var read = await ((IObjectStore)store).OpenReadCheckedByCallerAsync("checked-by-caller", CancellationToken.None).WithTimeout();
        var copy = new MemoryStream();
        await read.CopyToAsync(copy).WithTimeout();

        Assert.True(copy.ToArray().AsSpan().SequenceEqual(data), $"{copy.Length} of {size} bytes read back, or other bytes");
        Assert.Equal(1, relay.Requests - before);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() =>
            ((IObjectStore)store).OpenReadCheckedByCallerAsync("missing", CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task OpenRead_BodyCorruptedOnTheWay_RefusedByThePlainReadLeftToTheCallerOtherwise()
    {
        await using var relay = await CountingHttpRelay.StartAsync(server.ServiceUrl);
        var options = server.Options();
        options.ServiceUrl = relay.Url;
        options.MaxRetryAttempts = 0;
        using var store = (IDisposable)ObjectStores.CreateS3(options);
        var data = new byte[100_000];
        new Random(5).NextBytes(data);
        await ((IObjectStore)store).PutAsync("corrupted", new MemoryStream(data), CancellationToken.None).WithTimeout();

        relay.CorruptNext(1);
        await using (var plain = await ((IObjectStore)store).OpenReadAsync("corrupted", CancellationToken.None).WithTimeout())
        {
            // The SDK's check of the body against its ETag.
            var error = await Assert.ThrowsAsync<Amazon.Runtime.AmazonClientException>(() => plain.CopyToAsync(Stream.Null).WithTimeout());
            Assert.Contains("hash", error.Message, StringComparison.Ordinal);
        }

        relay.CorruptNext(1);
        await using var checkedByCaller = await ((IObjectStore)store).OpenReadCheckedByCallerAsync("corrupted", CancellationToken.None).WithTimeout();
        var copy = new MemoryStream();
        await checkedByCaller.CopyToAsync(copy).WithTimeout();
        Assert.Equal(data.Length, copy.Length);
        Assert.Equal((byte)(data[0] ^ 0xFF), copy.ToArray()[0]);
        Assert.True(copy.ToArray().AsSpan(1).SequenceEqual(data.AsSpan(1)));
    }

    /// <summary>Options of a store at a loopback port nothing listens on.</summary>
    private S3ObjectStoreOptions UnreachableOptions(int retries)
    {
        var options = server.Options();
        options.ServiceUrl = LoopbackPorts.Reserve().Url;
        options.MaxRetryAttempts = retries;
        return options;
    }

    /// <summary>Writes an object under a prefix of its own; returns the options that reach that prefix.</summary>
    private async Task<S3ObjectStoreOptions> PutWithGoodCredentialsAsync(string key, string text)
    {
        var options = server.Options();
        using var good = (IDisposable)ObjectStores.CreateS3(options);
        await ((IObjectStore)good).PutAsync(key, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), CancellationToken.None).WithTimeout();
        return options;
    }

    [Fact]
    public void Create_FactoryWithMissingSettings_ListsEveryProblem()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ObjectStores.CreateFactory().Create("s3", new Dictionary<string, string> { ["endpoint"] = "ftp://x" }));

        Assert.Contains("'endpoint'", error.Message);
        Assert.Contains("'bucket'", error.Message);
        Assert.Contains("'accessKey'", error.Message);
    }

    [Fact]
    public async Task OpenReadAsync_RightAfterEachPut_ReadsEveryByteItAcknowledged()
    {
        // As S3 does, a store that acknowledged a PUT returns the whole object to the next GET: backups read chunks
        // back at once (a copy to the disaster-recovery store, a restore right after a snapshot). Small and large
        // objects, several writers at once.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var i = 0; i < 50; i++)
            {
                var data = new byte[i % 10 == 0 ? 2 << 20 : random.Next(1, 64 << 10)];
                random.NextBytes(data);
                var key = $"raw/{writer}/{i}";
                await _store.PutAsync(key, new MemoryStream(data), CancellationToken.None).WithTimeout();
                await using var read = await _store.OpenReadAsync(key, CancellationToken.None).WithTimeout();
                var copy = new MemoryStream();
                await read.CopyToAsync(copy).WithTimeout();
                Assert.True(copy.ToArray().AsSpan().SequenceEqual(data), $"{key}: {copy.Length} of {data.Length} bytes read back, or other bytes");
            }
        })));
    }

    [Fact]
    public async Task Create_FactoryWithSettings_StoresObjectsInBucket()
    {
        var store = ObjectStores.CreateFactory().Create("s3", new Dictionary<string, string>
        {
            ["endpoint"] = server.ServiceUrl,
            ["bucket"] = S3rverProcess.BucketName,
            ["prefix"] = "factory/",
            ["accessKey"] = S3rverProcess.AccessKey,
            ["secretKey"] = S3rverProcess.SecretKey,
        });

        await store.PutAsync("a/b.txt", new MemoryStream([42]), CancellationToken.None).WithTimeout();

        Assert.True(await _store.ExistsAsync("a/b.txt", CancellationToken.None).WithTimeout() is false);
        Assert.True(await store.ExistsAsync("a/b.txt", CancellationToken.None).WithTimeout());
    }
}
