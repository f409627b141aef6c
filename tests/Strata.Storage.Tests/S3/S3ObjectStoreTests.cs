using Strata.Storage.Tests.Contract;
using Strata.Testing;

namespace Strata.Storage.Tests.S3;

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
        var options = server.Options();
        options.ServiceUrl = $"http://127.0.0.1:{LoopbackPorts.GetFree()}";
        options.MaxRetryAttempts = 3;
        using var unreachable = (IDisposable)ObjectStores.CreateS3(options);

        var error = await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() =>
            ((IObjectStore)unreachable).PutAsync("k", new MemoryStream([1]), CancellationToken.None).WithTimeout());

        Assert.Equal(4, error.Attempts);
        Assert.Contains(options.ServiceUrl, error.Message);
        Assert.Contains("'k'", error.Message);
    }

    [Fact]
    public async Task OpenReadAsync_WrongCredentials_FailsWithoutRetrying()
    {
        var options = server.Options();
        options.SecretKey = "wrong";
        using var store = (IDisposable)ObjectStores.CreateS3(options);

        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            ((IObjectStore)store).OpenReadAsync("k", CancellationToken.None).WithTimeout());

        Assert.IsNotType<ObjectStoreUnavailableException>(error);
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
