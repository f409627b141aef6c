using System.IO.Compression;
using System.Text.Json;
using Strata.Backups.Chunking;
using Strata.Backups.Snapshots;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.Backups.Tests.Snapshots;

/// <summary>Someone who can write to the backup store rewrites a manifest or a chunk; the restore refuses, naming the object.</summary>
[Trait("kind", "unit")]
public sealed class TamperedManifestTests : IDisposable
{
    private const string Key = "correct horse battery staple";

    private readonly TemporaryDirectory _work = new("strata-tamper");
    private readonly IObjectStore _store;
    private readonly SnapshotEngine _engine;
    private readonly string _volume;
    private readonly string _restored;
    private readonly string _outside;

    public TamperedManifestTests()
    {
        _store = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _work.Combine("store") });
        _engine = TestVolumes.Engine(_store);
        _volume = _work.Combine("volume");
        Directory.CreateDirectory(_volume);
        TestVolumes.Fill(_volume);
        // The restore writes into "restore/target" (and a hidden sibling while it runs); nothing may appear elsewhere.
        _restored = _work.Combine("restore", "target");
        _outside = _work.Combine("outside");
        Directory.CreateDirectory(_outside);
        Directory.CreateDirectory(_work.Combine("restore"));
    }

    public void Dispose()
    {
        File.SetUnixFileMode(_work.Combine("volume", "empty"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _work.Dispose();
    }

    [Fact]
    public async Task SnapshotAsync_WithKey_ManifestRevealsNoNamesSizesModesOrTimes()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();

        var stored = await ChunkRepository.ReadAllAsync(_store, result.ManifestKey, CancellationToken.None);
        // Compared as JSON tokens, not as text: a chunk id is hex and may hold "16384" by chance.
        var tokens = JsonTokens(JsonDocument.Parse(stored).RootElement).ToList();
        foreach (var revealing in new[] { "secret.conf", "log.txt", "run.sh", "modified", "size", "shop-db-1" })
        {
            Assert.DoesNotContain(tokens, token => Reveals(token, revealing));
        }

        foreach (var number in new[] { "16384", $"{result.Manifest.TotalBytes}" })
        {
            Assert.DoesNotContain(number, tokens);
        }

        await _engine.RestoreAsync(result.Manifest.Id, _restored, Key).WithTimeout();
        Assert.Equal(TestVolumes.Describe(_volume), TestVolumes.Describe(_restored));
    }

    [Fact]
    public async Task ListAsync_SealedManifests_ShowSizesOnlyWithTheirKey()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();

        var withKey = Assert.Single(await _engine.ListAsync(null, (_, _, _) => Key).ToListAsync());
        var withoutKey = Assert.Single(await _engine.ListAsync().ToListAsync());
        var otherKey = Assert.Single(await _engine.ListAsync(null, (_, _, _) => "a key since replaced").ToListAsync());

        Assert.Equal((result.Manifest.TotalBytes, 5, "shop-db-1"), (withKey.TotalBytes, withKey.FileCount, withKey.Server));
        Assert.All(new[] { withoutKey, otherKey }, info => Assert.Equal((result.Manifest.Id, 0L, ""), (info.Id, info.TotalBytes, info.Server)));
        Assert.All(new[] { withKey, withoutKey, otherKey }, info => Assert.True(info.Encrypted));
    }

    [Fact]
    public async Task RestoreAsync_EncryptionStripped_RefusedNamingTheManifest()
    {
        var sealedSnapshot = await _engine.SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();
        var evil = _work.Combine("evil");
        Directory.CreateDirectory(evil);
        File.WriteAllText(Path.Combine(evil, "secret.conf"), "password=attacker\n");
        var plain = await _engine.SnapshotAsync(TestVolumes.Request(evil)).WithTimeout();
        await WriteManifestAsync(sealedSnapshot.ManifestKey, plain.Manifest with { Id = sealedSnapshot.Manifest.Id });

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _engine.RestoreAsync(sealedSnapshot.Manifest.Id, _restored, Key)).WithTimeout();

        Assert.Equal(sealedSnapshot.ManifestKey, error.ObjectKey);
        Assert.Contains("not encrypted, but its policy has an encryption key", error.Message, StringComparison.Ordinal);
        AssertNothingRestored();
    }

    [Fact]
    public async Task RestoreAsync_PlainManifestWithSwappedChunks_Refused()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();
        var manifest = await _engine.GetManifestAsync(result.Manifest.Id, Key).WithTimeout();
        var log = manifest.Entries.Single(e => e.Path == "pg/log.txt");
        var data = manifest.Entries.Single(e => e.Path == "pg/base/16384");
        // Written as strata-backups/1 wrote manifests (plain JSON with the encryption block), each file given the other's chunks.
        var swapped = manifest with
        {
            FormatVersion = 1,
            Entries = [.. manifest.Entries.Select(e => e == log ? e with { Chunks = data.Chunks } : e == data ? e with { Chunks = log.Chunks } : e)],
        };
        await WriteManifestAsync(result.ManifestKey, swapped);

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _engine.RestoreAsync(result.Manifest.Id, _restored, Key)).WithTimeout();

        Assert.Equal(result.ManifestKey, error.ObjectKey);
        Assert.Contains("format-1 manifest", error.Message, StringComparison.Ordinal);
        AssertNothingRestored();
    }

    [Fact]
    public async Task RestoreAsync_ChunkObjectsSwappedInStore_RefusedNamingTheChunk()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();
        var manifest = await _engine.GetManifestAsync(result.Manifest.Id, Key).WithTimeout();
        var first = manifest.Entries.Single(e => e.Path == "pg/log.txt").Chunks![0];
        var second = manifest.Entries.Single(e => e.Path == "pg/base/16384").Chunks![0];
        var firstBytes = await ChunkRepository.ReadAllAsync(_store, ChunkCodec.KeyOf(first), CancellationToken.None);
        var secondBytes = await ChunkRepository.ReadAllAsync(_store, ChunkCodec.KeyOf(second), CancellationToken.None);
        await _store.PutAsync(ChunkCodec.KeyOf(first), new MemoryStream(secondBytes), CancellationToken.None);
        await _store.PutAsync(ChunkCodec.KeyOf(second), new MemoryStream(firstBytes), CancellationToken.None);

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _engine.RestoreAsync(result.Manifest.Id, _restored, Key)).WithTimeout();

        Assert.Contains(error.ObjectKey, new[] { ChunkCodec.KeyOf(first), ChunkCodec.KeyOf(second) });
        Assert.Contains("failed authentication", error.Message, StringComparison.Ordinal);
        AssertNothingRestored();
    }

    // Without a key nothing can be authenticated before inflating (whoever writes a chunk can write its hash too), but a
    // chunk's id is the SHA-256 of its content, checked once it is inflated within the size bound.
    [Fact]
    public async Task RestoreAsync_ChunkObjectsSwappedInUnencryptedStore_RefusedNamingTheChunk()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var first = result.Manifest.Entries.Single(e => e.Path == "pg/log.txt").Chunks![0];
        var second = result.Manifest.Entries.Single(e => e.Path == "pg/base/16384").Chunks![0];
        var firstBytes = await ChunkRepository.ReadAllAsync(_store, ChunkCodec.KeyOf(first), CancellationToken.None);
        var secondBytes = await ChunkRepository.ReadAllAsync(_store, ChunkCodec.KeyOf(second), CancellationToken.None);
        await _store.PutAsync(ChunkCodec.KeyOf(first), new MemoryStream(secondBytes), CancellationToken.None);
        await _store.PutAsync(ChunkCodec.KeyOf(second), new MemoryStream(firstBytes), CancellationToken.None);

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _engine.RestoreAsync(result.Manifest.Id, _restored)).WithTimeout();

        Assert.Contains(error.ObjectKey, new[] { ChunkCodec.KeyOf(first), ChunkCodec.KeyOf(second) });
        Assert.Contains("does not match its checksum", error.Message, StringComparison.Ordinal);
        AssertNothingRestored();
    }

    [Fact]
    public async Task RestoreAsync_SealedManifestMovedToAnotherDeployment_Refused()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume, Key)).WithTimeout();
        var moved = result.ManifestKey.Replace("snapshots/shop/", "snapshots/other/", StringComparison.Ordinal);
        await _store.PutAsync(moved, new MemoryStream(await ChunkRepository.ReadAllAsync(_store, result.ManifestKey, CancellationToken.None)), CancellationToken.None);
        await _store.DeleteAsync(result.ManifestKey, CancellationToken.None);

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _engine.RestoreAsync(result.Manifest.Id, _restored, Key)).WithTimeout();

        Assert.Equal(moved, error.ObjectKey);
        AssertNothingRestored();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RestoreAsync_EntryBelowARestoredSymlink_RefusedAndNothingWrittenOutside(bool absoluteTarget)
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var log = result.Manifest.Entries.Single(e => e.Path == "pg/log.txt");
        var target = absoluteTarget ? _outside : "../../outside";
        var forged = result.Manifest with
        {
            Entries =
            [
                .. result.Manifest.Entries,
                new SnapshotEntry { Path = "zz-escape", Kind = SnapshotEntryKind.Symlink, LinkTarget = target },
                log with { Path = "zz-escape/pwned" },
            ],
        };
        await WriteManifestAsync(result.ManifestKey, forged);

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _engine.RestoreAsync(result.Manifest.Id, _restored)).WithTimeout();

        Assert.Equal(result.ManifestKey, error.ObjectKey);
        Assert.Equal("zz-escape/pwned", error.File);
        Assert.Contains("below the symbolic link 'zz-escape'", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
        AssertNothingRestored();
    }

    [Fact]
    public async Task RestoreAsync_SetuidEntry_RefusedNamingTheEntry()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var forged = result.Manifest with
        {
            Entries = [.. result.Manifest.Entries.Select(e => e.Path == "run.sh" ? e with { Mode = e.Mode | 0b100_000_000_000 } : e)],
        };
        await WriteManifestAsync(result.ManifestKey, forged);

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _engine.RestoreAsync(result.Manifest.Id, _restored)).WithTimeout();

        Assert.Equal(result.ManifestKey, error.ObjectKey);
        Assert.Equal("run.sh", error.File);
        Assert.Contains("mode 4755", error.Message, StringComparison.Ordinal);
        AssertNothingRestored();
    }

    [Fact]
    public async Task RestoreAsync_Format1ManifestWithSetuidAndSticky_RestoresPermissionBitsOnly()
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var old = result.Manifest with
        {
            FormatVersion = 1,
            Entries = [.. result.Manifest.Entries.Select(e => e.Path is "run.sh" or "pg" ? e with { Mode = e.Mode | 0b111_000_000_000 } : e)],
        };
        await WriteManifestAsync(result.ManifestKey, old);

        await _engine.RestoreAsync(result.Manifest.Id, _restored).WithTimeout();

        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(_restored, "run.sh")));
        Assert.Equal(File.GetUnixFileMode(Path.Combine(_volume, "pg")), File.GetUnixFileMode(Path.Combine(_restored, "pg")));
    }

    // No chunk is written larger than 16 KiB here. 8 MiB of zeros deflate to about 8 KiB, a plausible stored chunk
    // that inflates far past that; 256 MiB deflate to about 256 KiB, more than any stored chunk can be.
    [Theory]
    [InlineData(8, "inflates to more than 16384 bytes")]
    [InlineData(256, "is larger than 16413 bytes")]
    public async Task RestoreAsync_DecompressionBomb_FailsClearlyWithBoundedMemory(int mebibytesOfZeros, string expected)
    {
        var result = await _engine.SnapshotAsync(TestVolumes.Request(_volume)).WithTimeout();
        var victim = result.Manifest.Entries.Single(e => e.Path == "pg/log.txt").Chunks![0];
        var bomb = new MemoryStream();
        bomb.WriteByte(1);
        using (var deflate = new DeflateStream(bomb, CompressionLevel.Optimal, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (var i = 0; i < mebibytesOfZeros; i++)
            {
                deflate.Write(zeros);
            }
        }

        await _store.PutAsync(ChunkCodec.KeyOf(victim), new MemoryStream(bomb.ToArray()), CancellationToken.None);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var error = await Assert.ThrowsAsync<BackupCorruptException>(() => _engine.RestoreAsync(result.Manifest.Id, _restored)).WithTimeout();

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.Equal(ChunkCodec.KeyOf(victim), error.ObjectKey);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64L * 1024 * 1024, $"the restore allocated {allocated / (1024 * 1024)} MiB");
        AssertNothingRestored();
    }

    private async Task WriteManifestAsync(string key, SnapshotManifest manifest) =>
        await _store.PutAsync(key, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest, BackupJsonContext.Default.SnapshotManifest)), CancellationToken.None);

    /// <summary>Neither the target nor its hidden staging sibling is left, and nothing was written next to them.</summary>
    private void AssertNothingRestored() => Assert.Empty(Directory.EnumerateFileSystemEntries(_work.Combine("restore")));

    /// <summary>Every property name and every value of a JSON document, numbers as written.</summary>
    /// <summary>
    /// Whether a manifest token shows <paramref name="revealing"/>. A sealed (base64) token is looked into as the bytes
    /// it holds: random ciphertext spelled as base64 holds a word such as "size" in about one manifest of a hundred.
    /// </summary>
    private static bool Reveals(string token, string revealing)
    {
        var bytes = new byte[token.Length];
        return token.Length > 64 && Convert.TryFromBase64String(token, bytes, out var written)
            ? bytes.AsSpan(0, written).IndexOf(System.Text.Encoding.UTF8.GetBytes(revealing)) >= 0
            : token.Contains(revealing, StringComparison.OrdinalIgnoreCase);
    }

    private static IEnumerable<string> JsonTokens(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    yield return property.Name;
                    foreach (var token in JsonTokens(property.Value))
                    {
                        yield return token;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var token in element.EnumerateArray().SelectMany(JsonTokens))
                {
                    yield return token;
                }

                break;
            default:
                yield return element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
                break;
        }
    }
}
