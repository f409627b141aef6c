using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>Restored files are written past the page cache (O_DIRECT), byte for byte, whatever their length.</summary>
[Trait("kind", "unit")]
public sealed class DirectRestoreTests : IDisposable
{
    // O_DIRECT in the octal flags /proc shows for an open file descriptor.
    private const int DirectFlag = 0x4000;

    private readonly TemporaryDirectory _work = new("strata-direct-restore");

    public void Dispose() => _work.Dispose();

    [Fact]
    public void Append_PiecesOfOddLengthsAcrossTheBuffer_FileHasExactlyThoseBytes()
    {
        var content = new byte[(3 * 16384) + 5];
        new Random(5).NextBytes(content);
        var path = _work.Combine("file.bin");

        using (var file = DirectFile.TryCreate(path, content.Length, new AlignedBuffer(16384)))
        {
            Assert.NotNull(file);
            Assert.True((OpenFlags(file.Handle) & DirectFlag) != 0, "the file is not open with O_DIRECT");
            foreach (var (start, length) in new[] { (0, 1), (1, 4095), (4096, 20_000), (24_096, content.Length - 24_096) })
            {
                file.Append(content.AsSpan(start, length));
            }

            file.Complete();
        }

        Assert.Equal(content, File.ReadAllBytes(path));
    }

    [Fact]
    public void Complete_FewerBytesThanTheSize_FailsNamingBoth()
    {
        using var file = DirectFile.TryCreate(_work.Combine("short.bin"), 10_000, new AlignedBuffer(16384))!;
        file.Append(new byte[9_999]);

        var error = Assert.Throws<IOException>(file.Complete);

        Assert.Contains("9999 bytes were restored for a file of 10000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_FileExists_Fails()
    {
        var path = _work.Combine("there.bin");
        File.WriteAllText(path, "already here");

        var error = Assert.Throws<IOException>(() => DirectFile.TryCreate(path, 1, new AlignedBuffer(4096)));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal("already here", File.ReadAllText(path));
    }

    // The default writes past the page cache, the option through it; both give the same tree, modes and times.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RestoreAsync_EitherWritePath_RestoresTheVolumeExactly(bool direct)
    {
        var volume = _work.Combine("volume");
        Directory.CreateDirectory(volume);
        TestVolumes.Fill(volume, randomBytes: 100_003);
        var store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _work.Combine("store") });
        var engine = new SnapshotEngine(store, new SnapshotEngineOptions { Chunking = TestVolumes.SmallChunks, Parallelism = 4, DirectRestoreWrites = direct });
        var snapshot = await engine.SnapshotAsync(TestVolumes.Request(volume, "k")).WithTimeout();

        await engine.RestoreAsync(snapshot.Manifest.Id, _work.Combine("target"), "k").WithTimeout();

        Assert.Equal(TestVolumes.Describe(volume), TestVolumes.Describe(_work.Combine("target")));
    }

    private static int OpenFlags(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        var line = File.ReadLines($"/proc/self/fdinfo/{handle.DangerousGetHandle()}").Single(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
    }
}
