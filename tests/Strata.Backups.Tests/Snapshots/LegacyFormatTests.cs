using Strata.Backups.Services;
using Strata.Storage;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>
/// Fixtures/legacy-store was written by strata-backups/1 (plain JSON manifests, service backups uploaded as they
/// are): a plain snapshot, one encrypted with "legacy-fixture-key", and a service backup. They must still restore.
/// </summary>
[Trait("kind", "unit")]
public sealed class LegacyFormatTests : IDisposable
{
    private const string PlainSnapshot = "20261204T122716Z-4645c63c";
    private const string EncryptedSnapshot = "20261204T122717Z-a80278c3";
    private const string ServiceBackup = "20261204T122717Z-d4b22714";
    private const string Key = "legacy-fixture-key";

    private readonly TemporaryDirectory _work = new("strata-legacy");
    private readonly IObjectStore _store;

    public LegacyFormatTests() => _store = FixtureStores.Open("legacy-store", _work);

    public void Dispose() => _work.Dispose();

    [Theory]
    [InlineData(PlainSnapshot, null)]
    [InlineData(EncryptedSnapshot, Key)]
    public async Task RestoreAsync_SnapshotWrittenByFormat1_RestoresEveryEntry(string id, string? key)
    {
        var target = _work.Combine("restored");

        await TestVolumes.Engine(_store).RestoreAsync(id, target, key).WithTimeout();

        Assert.Equal(string.Concat(Enumerable.Repeat("hello from the legacy format\n", 200)), await File.ReadAllTextAsync(Path.Combine(target, "hello.txt")));
        var noise = new byte[20_000];
        new Random(7).NextBytes(noise);
        Assert.Equal(noise, await File.ReadAllBytesAsync(Path.Combine(target, "sub", "data.bin")));
        Assert.Equal((UnixFileMode)0b110_100_000, File.GetUnixFileMode(Path.Combine(target, "sub", "data.bin")));
        Assert.Equal("hello.txt", new FileInfo(Path.Combine(target, "link")).LinkTarget);
    }

    [Fact]
    public async Task DownloadAsync_ServiceBackupWrittenByFormat1_ReturnsTheFile()
    {
        var target = _work.Combine("dump.sql");

        await new ServiceBackupStore(_store).DownloadAsync(ServiceBackup, target).WithTimeout();

        Assert.Equal("INSERT INTO t VALUES (1);\n", await File.ReadAllTextAsync(target));
    }
}
