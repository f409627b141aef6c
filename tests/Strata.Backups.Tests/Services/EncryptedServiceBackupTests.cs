using System.Text;
using System.Text.Json;
using Strata.Backups.Services;
using Strata.Storage;
using Strata.Testing;

namespace Strata.Backups.Tests.Services;

[Trait("kind", "unit")]
public sealed class EncryptedServiceBackupTests : IDisposable
{
    private const string Key = "dump key";
    private static readonly ServiceBackupRequest s_request = new("shop", "db", "shop-db-1", "pgdump", "postgres@sha256:ab12");

    private readonly TemporaryDirectory _work = new("strata-svc-sealed");
    private readonly TemporaryDirectory _objects = new("strata-svc-sealed-store");
    private readonly IObjectStore _store;
    private readonly ServiceBackupStore _backups;
    private readonly string _dump;

    public EncryptedServiceBackupTests()
    {
        _store = TestVolumes.FileStore(_objects);
        _backups = new ServiceBackupStore(_store);
        // Past two 1 MiB segments, so that segment order and the last segment both matter.
        _dump = _work.WriteFile("dump.sql", string.Concat(Enumerable.Range(0, 90_000).Select(i => $"INSERT INTO users VALUES ({i}, 'alice');\n")));
    }

    public void Dispose()
    {
        _work.Dispose();
        _objects.Dispose();
    }

    [Fact]
    public async Task UploadAsync_WithKey_StoresNoPlaintextAndRestoresWithTheKey()
    {
        var uploaded = await _backups.UploadAsync(_dump, s_request, Key).WithTimeout();

        var stored = await File.ReadAllBytesAsync(_objects.Combine(uploaded.DataKey));
        Assert.DoesNotContain("INSERT INTO users", Encoding.Latin1.GetString(stored), StringComparison.Ordinal);
        Assert.NotNull(uploaded.Encryption);
        await _backups.DownloadAsync(uploaded.Id, _work.Combine("out.sql"), Key).WithTimeout();
        Assert.Equal(await File.ReadAllBytesAsync(_dump), await File.ReadAllBytesAsync(_work.Combine("out.sql")));
    }

    [Fact]
    public async Task DownloadAsync_WithoutOrWithWrongKey_FailsAndWritesNoFile()
    {
        var uploaded = await _backups.UploadAsync(_dump, s_request, Key).WithTimeout();

        var missing = await Assert.ThrowsAsync<BackupFailedException>(() => _backups.DownloadAsync(uploaded.Id, _work.Combine("out.sql"))).WithTimeout();
        var wrong = await Assert.ThrowsAsync<BackupFailedException>(() => _backups.DownloadAsync(uploaded.Id, _work.Combine("out.sql"), "other")).WithTimeout();

        Assert.Contains("encryption key is needed", missing.Message, StringComparison.Ordinal);
        Assert.Contains("does not match", wrong.Message, StringComparison.Ordinal);
        Assert.Equal(["dump.sql"], Directory.GetFiles(_work.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task DownloadAsync_EncryptionStrippedFromMetadata_RefusedNamingIt()
    {
        var uploaded = await _backups.UploadAsync(_dump, s_request, Key).WithTimeout();
        var forged = "DROP TABLE users;\n"u8.ToArray();
        var metadataKey = uploaded.DataKey[..^".data".Length] + ".json";
        await File.WriteAllBytesAsync(_objects.Combine(uploaded.DataKey), forged);
        await File.WriteAllBytesAsync(_objects.Combine(metadataKey), JsonSerializer.SerializeToUtf8Bytes(
            uploaded with { Encryption = null, Size = forged.Length, Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(forged)) },
            BackupJsonContext.Default.ServiceBackupInfo));

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _backups.DownloadAsync(uploaded.Id, _work.Combine("out.sql"), Key)).WithTimeout();

        Assert.Equal(metadataKey, error.ObjectKey);
        Assert.Contains("not encrypted, but its policy has an encryption key", error.Message, StringComparison.Ordinal);
        Assert.Equal(["dump.sql"], Directory.GetFiles(_work.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task DownloadAsync_LastSegmentCutOff_RefusedEvenWithMatchingChecksum()
    {
        var uploaded = await _backups.UploadAsync(_dump, s_request, Key).WithTimeout();
        var stored = await File.ReadAllBytesAsync(_objects.Combine(uploaded.DataKey));
        var cut = stored.AsSpan(0, SegmentedCipher.SegmentSize + Strata.Backups.Chunking.Aead.Overhead).ToArray();
        await File.WriteAllBytesAsync(_objects.Combine(uploaded.DataKey), cut);
        var metadataKey = uploaded.DataKey[..^".data".Length] + ".json";
        await File.WriteAllBytesAsync(_objects.Combine(metadataKey), JsonSerializer.SerializeToUtf8Bytes(
            uploaded with { Size = cut.Length, Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(cut)) }, BackupJsonContext.Default.ServiceBackupInfo));

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _backups.DownloadAsync(uploaded.Id, _work.Combine("out.sql"), Key)).WithTimeout();

        Assert.Equal(uploaded.DataKey, error.ObjectKey);
        Assert.Contains("cut off", error.Message, StringComparison.Ordinal);
        Assert.Equal(["dump.sql"], Directory.GetFiles(_work.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task DownloadAsync_MetadataPointingAtAnotherBackupsData_Refused()
    {
        var mine = await _backups.UploadAsync(_dump, s_request, Key).WithTimeout();
        var theirs = await _backups.UploadAsync(_dump, s_request with { Deployment = "other" }, Key).WithTimeout();
        var metadataKey = mine.DataKey[..^".data".Length] + ".json";
        await File.WriteAllBytesAsync(_objects.Combine(metadataKey), JsonSerializer.SerializeToUtf8Bytes(
            mine with { DataKey = theirs.DataKey, Size = theirs.Size, Sha256 = theirs.Sha256 }, BackupJsonContext.Default.ServiceBackupInfo));

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _backups.DownloadAsync(mine.Id, _work.Combine("out.sql"), Key)).WithTimeout();

        Assert.Equal(metadataKey, error.ObjectKey);
        Assert.Contains("not where it is stored", error.Message, StringComparison.Ordinal);
    }
}
