using Strata.Storage;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>
/// Fixtures/format2-store was written by strata-backups/1 with format-2 manifests and Deflate-compressed chunks
/// (TestVolumes.SmallChunks): a plain snapshot and one encrypted with "format2-fixture-key", of the folder that
/// <see cref="ExpectedFiles"/> describes. Stores written before the zstd codec must restore and deduplicate.
/// </summary>
[Trait("kind", "unit")]
public sealed class Format2StoreTests : IDisposable
{
    private const string PlainSnapshot = "20261204T182037Z-afee0f83";
    private const string EncryptedSnapshot = "20261204T182037Z-a3f41cd7";
    private const string Key = "format2-fixture-key";

    private readonly TemporaryDirectory _work = new("strata-format2");
    private readonly IObjectStore _store;

    public Format2StoreTests() => _store = FixtureStores.Open("format2-store", _work);

    public void Dispose() => _work.Dispose();

    [Theory]
    [InlineData(PlainSnapshot, null)]
    [InlineData(EncryptedSnapshot, Key)]
    public async Task RestoreAsync_SnapshotWithDeflateChunks_RestoresEveryEntry(string id, string? key)
    {
        var target = _work.Combine("restored");

        await TestVolumes.Engine(_store).RestoreAsync(id, target, key).WithTimeout();

        AssertExpectedFiles(target);
    }

    [Theory]
    [InlineData(PlainSnapshot, null)]
    [InlineData(EncryptedSnapshot, Key)]
    public async Task VerifyAsync_SnapshotWithDeflateChunks_ChecksEveryChunk(string id, string? key)
    {
        var result = await TestVolumes.Engine(_store).VerifyAsync(id, key).WithTimeout();

        Assert.True(result.Ok, string.Join("\n", result.Problems));
        Assert.Equal(28, result.ChunksChecked);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(Key)]
    public async Task SnapshotAsync_SameContentIntoOldStore_ReusesTheDeflateChunksAndRestores(string? key)
    {
        var folder = _work.Combine("data");
        ExpectedFiles(folder);
        var engine = TestVolumes.Engine(_store);

        var result = await engine.SnapshotAsync(TestVolumes.Request(folder, key)).WithTimeout();
        await engine.RestoreAsync(result.Manifest.Id, _work.Combine("restored"), key).WithTimeout();

        Assert.Equal(0, result.ChunksUploaded);
        Assert.Equal(28, result.ChunksReused);
        AssertExpectedFiles(_work.Combine("restored"));
    }

    /// <summary>The folder the fixture's snapshots were taken of.</summary>
    private static void ExpectedFiles(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        File.WriteAllText(Path.Combine(root, "log.txt"), Log());
        File.WriteAllBytes(Path.Combine(root, "sub", "noise.bin"), Noise());
        File.SetUnixFileMode(Path.Combine(root, "sub", "noise.bin"), (UnixFileMode)0b110_100_000);
        File.WriteAllBytes(Path.Combine(root, "empty"), []);
        File.CreateSymbolicLink(Path.Combine(root, "link"), "log.txt");
    }

    private static void AssertExpectedFiles(string target)
    {
        Assert.Equal(Log(), File.ReadAllText(Path.Combine(target, "log.txt")));
        Assert.Equal(Noise(), File.ReadAllBytes(Path.Combine(target, "sub", "noise.bin")));
        Assert.Equal((UnixFileMode)0b110_100_000, File.GetUnixFileMode(Path.Combine(target, "sub", "noise.bin")));
        Assert.Empty(File.ReadAllBytes(Path.Combine(target, "empty")));
        Assert.Equal("log.txt", new FileInfo(Path.Combine(target, "link")).LinkTarget);
    }

    private static string Log() => string.Concat(Enumerable.Range(0, 3000).Select(i => $"line {i} of the format-2 log\n"));

    private static byte[] Noise()
    {
        var noise = new byte[30_000];
        new Random(11).NextBytes(noise);
        return noise;
    }
}
