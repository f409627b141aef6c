using Strata.Backups.Services;
using Strata.Storage;
using Strata.Testing;

namespace Strata.Backups.Tests.Services;

[Trait("kind", "unit")]
public sealed class ServiceBackupStoreTests : IDisposable
{
    private static readonly ServiceBackupRequest s_request = new("shop", "db", "shop-db-1", "pgdump", "postgres@sha256:ab12");

    private readonly TemporaryDirectory _work = new("strata-svc-backup");
    private readonly TemporaryDirectory _objects = new("strata-svc-store");
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 5, 1, 3, 0, 0, TimeSpan.Zero));
    private readonly IObjectStore _store;
    private readonly ServiceBackupStore _backups;

    public ServiceBackupStoreTests()
    {
        _store = TestVolumes.FileStore(_objects);
        _backups = new ServiceBackupStore(_store, _time);
    }

    public void Dispose()
    {
        _work.Dispose();
        _objects.Dispose();
    }

    [Fact]
    public async Task DownloadAsync_AfterUpload_ReturnsSameFileAndMetadata()
    {
        var dump = _work.WriteFile("dump.sql", string.Concat(Enumerable.Repeat("INSERT INTO t VALUES (1);\n", 5000)));

        var uploaded = await _backups.UploadAsync(dump, s_request).WithTimeout();
        var downloaded = await _backups.DownloadAsync(uploaded.Id, _work.Combine("out", "dump.sql")).WithTimeout();

        Assert.Equal(await File.ReadAllBytesAsync(dump), await File.ReadAllBytesAsync(_work.Combine("out", "dump.sql")));
        Assert.Equal(uploaded, downloaded);
        Assert.Equal(new FileInfo(dump).Length, uploaded.Size);
        Assert.Equal(_time.GetUtcNow(), uploaded.Created);
        Assert.Equal(("shop-db-1", "postgres@sha256:ab12", "db"), (uploaded.Server, uploaded.Image, uploaded.Tier));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(dump))), uploaded.Sha256);
        Assert.Equal([uploaded.Id], (await _backups.ListAsync("shop", "db", "pgdump").ToListAsync()).Select(b => b.Id));
    }

    [Fact]
    public async Task DownloadAsync_TamperedData_ThrowsCorruptAndWritesNoFile()
    {
        var uploaded = await _backups.UploadAsync(_work.WriteFile("dump.sql", "important rows"), s_request).WithTimeout();
        await File.WriteAllTextAsync(_objects.Combine(uploaded.DataKey), "importent rows");

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _backups.DownloadAsync(uploaded.Id, _work.Combine("out.sql")).WithTimeout());

        Assert.Equal(uploaded.DataKey, error.ObjectKey);
        Assert.Contains("checksum", error.Message);
        Assert.Equal(["dump.sql"], Directory.GetFiles(_work.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task DownloadAsync_TwiceAtOnceToOneFile_BothSucceedWithTheWholeBackup()
    {
        var dump = _work.WriteFile("dump.sql", string.Concat(Enumerable.Repeat("INSERT INTO t VALUES (1);\n", 40_000)));
        var uploaded = await _backups.UploadAsync(dump, s_request).WithTimeout();
        var target = _work.Combine("restore", "dump.sql");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _backups.DownloadAsync(uploaded.Id, target))).WithTimeout();

        Assert.Equal(await File.ReadAllBytesAsync(dump), await File.ReadAllBytesAsync(target));
        Assert.Equal(["dump.sql"], Directory.GetFiles(_work.Combine("restore")).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UploadAsync_EmptyOrMissingFile_FailsAndKeepsEarlierBackups(bool empty)
    {
        var earlier = await _backups.UploadAsync(_work.WriteFile("dump.sql", "rows"), s_request).WithTimeout();
        var bad = empty ? _work.WriteFile("empty.sql", "") : _work.Combine("never-written.sql");

        var error = await Assert.ThrowsAsync<BackupFailedException>(() => _backups.UploadAsync(bad, s_request).WithTimeout());

        Assert.Contains(empty ? "empty" : "did not write", error.Message);
        Assert.Contains("earlier backups are untouched", error.Message);
        Assert.Equal([earlier.Id], (await _backups.ListAsync().ToListAsync()).Select(b => b.Id));
        Assert.Equal(2, (await _store.ListAsync("backups/", CancellationToken.None).ToListAsync()).Count);
    }
}
