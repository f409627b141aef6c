using System.Text;
using System.Text.Json.Nodes;
using Strata.Backups.Chunking;
using Strata.Storage;
using Strata.Testing;

namespace Strata.Backups.Tests.Chunking;

/// <summary>
/// How encrypted chunks are named: a new store names them with keyed BLAKE3 and says so in its config and in each
/// manifest, so every restore checks each chunk with the algorithm it was named with. Stores named with HMAC-SHA256
/// keep it (see <see cref="Snapshots.Format2StoreTests"/>).
/// </summary>
[Trait("kind", "unit")]
public sealed class ChunkNamingTests : IDisposable
{
    private const string Key = "naming-key";
    private readonly TemporaryDirectory _work = new("strata-naming");

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task SnapshotAsync_NewEncryptedStore_NamesChunksWithKeyedBlake3AndRestoresCheckingEach()
    {
        var store = TestVolumes.FileStore(_work);
        var folder = _work.Combine("data");
        TestVolumes.Fill(folder);
        var engine = TestVolumes.Engine(store);

        var result = await engine.SnapshotAsync(TestVolumes.Request(folder, Key)).WithTimeout();
        await engine.RestoreAsync(result.Manifest.Id, _work.Combine("restored"), Key).WithTimeout();
        var verified = await engine.VerifyAsync(result.Manifest.Id, Key).WithTimeout();

        var config = JsonNode.Parse(await ReadAsync(store, "config.json"))!;
        Assert.Equal((2, "blake3"), ((int)config["formatVersion"]!, (string?)config["chunkIds"]));
        Assert.Equal(ChunkIdAlgorithm.Blake3, result.Manifest.Encryption!.ChunkIds);
        Assert.Equal(TestVolumes.Describe(folder), TestVolumes.Describe(_work.Combine("restored")));
        Assert.True(verified.Ok && verified.ChunksChecked == result.Manifest.ChunkCount, string.Join("\n", verified.Problems));
    }

    [Fact]
    public void IdOf_SameKeysNamedEachWay_DiffersAndSha256WithoutKey()
    {
        var salt = new byte[32];
        var content = Encoding.UTF8.GetBytes("the same content");
        var blake3 = ChunkCodec.WithKey(Key, salt, ChunkIdAlgorithm.Blake3);
        var hmac = ChunkCodec.WithKey(Key, salt);

        Assert.Equal(ChunkIdAlgorithm.HmacSha256, hmac.ChunkIds);
        Assert.NotEqual(blake3.IdOf(content), hmac.IdOf(content));
        Assert.Equal(hmac.IdOf(content), blake3.Naming(null).IdOf(content));
        Assert.Equal(blake3.KeyCheck, hmac.KeyCheck);
        Assert.Equal(64, blake3.IdOf(content).Length);
        Assert.Null(ChunkCodec.Plain.ChunkIds);
    }

    [Fact]
    public async Task SnapshotAsync_StoreNamingChunksWithAnUnknownAlgorithm_RefusedSayingSo()
    {
        var store = TestVolumes.FileStore(_work);
        await store.PutAsync("config.json", new MemoryStream("""{"formatVersion":3,"salt":"AAAA","chunkIds":"sha3"}"""u8.ToArray()), CancellationToken.None);
        var folder = _work.Combine("data");
        TestVolumes.Fill(folder);

        var error = await Assert.ThrowsAsync<BackupFailedException>(() => TestVolumes.Engine(store).SnapshotAsync(TestVolumes.Request(folder, Key))).WithTimeout();

        Assert.Equal("chunks are named with 'sha3', which this version of Strata does not know; upgrade Strata to read this store", error.Message);
    }

    private static async Task<string> ReadAsync(IObjectStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key, CancellationToken.None);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
