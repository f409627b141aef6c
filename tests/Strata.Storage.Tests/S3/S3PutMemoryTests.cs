using Strata.Testing;

namespace Strata.Storage.Tests.S3;

/// <summary>Counting allocations is only meaningful with nothing else running in the process, so this collection runs alone.</summary>
[CollectionDefinition(nameof(S3AllocationCounting), DisableParallelization = true)]
public sealed class S3AllocationCounting;

/// <summary>
/// A put of a stream that can be read again allocates far less than what it puts: backups put about a thousand 1 MiB
/// chunks per GiB, and an array of the multipart part size (16 MiB) for each made an S3 snapshot of 1 GiB peak at 500
/// MiB; a copy of each chunk, at 310 MiB.
/// </summary>
[Trait("kind", "e2e")]
[Collection(nameof(S3AllocationCounting))]
public sealed class S3PutMemoryTests(S3rverProcess server) : IClassFixture<S3rverProcess>, IDisposable
{
    private const int ObjectSize = 1 << 20;
    private const int Objects = 10;

    // The default part size, as backups use it.
    private readonly IObjectStore _store = ObjectStores.CreateS3(WithDefaultPartSize(server.Options()));

    public void Dispose() => ((IDisposable)_store).Dispose();

    private static Strata.Storage.S3.S3ObjectStoreOptions WithDefaultPartSize(Strata.Storage.S3.S3ObjectStoreOptions options)
    {
        options.PartSize = new Strata.Storage.S3.S3ObjectStoreOptions().PartSize;
        return options;
    }

    [Fact]
    public async Task PutAsync_TenObjectsOf1MiB_AllocatesLessThanOneOfThem()
    {
        var content = new byte[ObjectSize];
        new Random(11).NextBytes(content);
        await _store.PutAsync("warm-up", new MemoryStream(content), CancellationToken.None).WithTimeout();
        var before = GC.GetTotalAllocatedBytes(precise: true);

        for (var i = 0; i < Objects; i++)
        {
            await _store.PutAsync($"chunk-{i}", new MemoryStream(content, writable: false), CancellationToken.None).WithTimeout();
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < ObjectSize, $"{Objects} puts of {ObjectSize >> 20} MiB allocated {allocated >> 10} KiB");
        await using var stored = await _store.OpenReadAsync("chunk-9", CancellationToken.None).WithTimeout();
        var read = new MemoryStream();
        await stored.CopyToAsync(read);
        Assert.Equal(content, read.ToArray());
    }
}
