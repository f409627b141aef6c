using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Strata.Backups.Chunking;
using Strata.Common.Files;
using Strata.Storage;

namespace Strata.Backups.Services;

/// <summary>Who made a service backup and what it is called.</summary>
public sealed record ServiceBackupRequest(string Deployment, string Tier, string Server, string Name, string Image);

/// <summary>A completed service backup: its metadata object is written after its data, with the data's SHA-256.</summary>
public sealed record ServiceBackupInfo
{
    public required string Id { get; init; }
    public required string Deployment { get; init; }
    public required string Tier { get; init; }
    public required string Server { get; init; }
    public required string Name { get; init; }
    public required string Image { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required long Size { get; init; }
    public required string Sha256 { get; init; }
    public required string DataKey { get; init; }

    /// <summary>Present when the data is sealed with the policy's key: the salt it was derived with and a check value.</summary>
    public Snapshots.SnapshotEncryption? Encryption { get; init; }
}

/// <summary>
/// Files written by a service's backup hook (a database dump, say), stored as
/// <c>backups/&lt;deployment&gt;/&lt;tier&gt;/&lt;name&gt;/&lt;id&gt;.data</c> with metadata in <c>&lt;id&gt;.json</c>, written last.
/// With a key the data is sealed in segments (<see cref="SegmentedCipher"/>) under a key derived from it and the
/// store's salt, as snapshot chunks are; the size and SHA-256 in the metadata are then those of the stored bytes.
/// </summary>
public sealed class ServiceBackupStore(IObjectStore store, TimeProvider? timeProvider = null)
{
    internal const string Root = "backups/";

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public IObjectStore Store => store;

    /// <summary>Uploads the file the hook wrote, sealed when a key is given. A missing or empty file fails before anything is written.</summary>
    /// <exception cref="BackupFailedException">The file is missing or empty, or the key is empty.</exception>
    public async Task<ServiceBackupInfo> UploadAsync(string file, ServiceBackupRequest request, string? encryptionKey = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        foreach (var (value, what) in new[] { (request.Deployment, "deployment"), (request.Tier, "tier"), (request.Server, "server"), (request.Name, "name") })
        {
            BackupNames.Validate(value, what);
        }

        var info = new FileInfo(file);
        if (!info.Exists)
        {
            throw new BackupFailedException($"the backup hook of '{request.Server}' did not write '{file}'; earlier backups are untouched");
        }

        if (info.Length == 0)
        {
            throw new BackupFailedException($"the backup hook of '{request.Server}' wrote an empty file '{file}'; earlier backups are untouched");
        }

        if (encryptionKey is { Length: 0 })
        {
            throw new BackupFailedException("the encryption key is empty; give a non-empty secret or none");
        }

        var created = _time.GetUtcNow();
        var id = BackupNames.NewId(created);
        var folder = $"{Root}{request.Deployment}/{request.Tier}/{request.Name}/";
        var codec = encryptionKey is null ? null : ChunkCodec.WithKey(encryptionKey, await new ChunkRepository(store).GetOrCreateSaltAsync(ct).ConfigureAwait(false));
        var (size, sha) = codec is null
            ? await UploadHashedAsync(info.FullName, folder + id + ".data", ct).ConfigureAwait(false)
            : await UploadSealedAsync(info.FullName, folder + id + ".data", codec, ct).ConfigureAwait(false);
        var metadata = new ServiceBackupInfo
        {
            Id = id, Deployment = request.Deployment, Tier = request.Tier, Server = request.Server, Name = request.Name,
            Image = request.Image, Created = created, Size = size, Sha256 = sha, DataKey = folder + id + ".data",
            Encryption = codec is null ? null : new Snapshots.SnapshotEncryption(Convert.ToBase64String(codec.Salt!), codec.KeyCheck!),
        };
        await store.PutAsync(folder + id + ".json", new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(metadata, BackupJsonContext.Default.ServiceBackupInfo)), ct)
            .ConfigureAwait(false);
        return metadata;
    }

    /// <summary>
    /// Downloads a backup to a file, which appears only after its size and SHA-256 have been checked and, when it
    /// is sealed, every segment has been authenticated.
    /// </summary>
    /// <param name="encryptionKey">The key of the backup's policy, or null when it has none: a plain backup is refused when a key is given.</param>
    /// <exception cref="BackupNotFoundException">No completed backup has this id.</exception>
    /// <exception cref="BackupCorruptException">The data is missing, does not match its checksum, fails authentication, or is plain where a key is given.</exception>
    /// <exception cref="BackupFailedException">The key is missing or wrong.</exception>
    public async Task<ServiceBackupInfo> DownloadAsync(string id, string targetFile, string? encryptionKey = null, CancellationToken ct = default)
    {
        var info = await GetAsync(id, ct).ConfigureAwait(false);
        var codec = CodecFor(info, encryptionKey);
        var target = Path.GetFullPath(targetFile);
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        await AtomicFile.WriteAsync(
            target,
            (file, token) => codec is null ? DownloadCheckedAsync(info, file, token) : DownloadSealedAsync(info, codec, folder, file, token),
            ct: ct).ConfigureAwait(false);
        return info;
    }

    private async Task DownloadCheckedAsync(ServiceBackupInfo info, Stream target, CancellationToken ct)
    {
        var (size, sha) = await DownloadHashedAsync(info.DataKey, target, ct).ConfigureAwait(false);
        if (size != info.Size || sha != info.Sha256)
        {
            throw new BackupCorruptException(info.DataKey, null, $"does not match its checksum (expected {info.Size} bytes with SHA-256 {info.Sha256}, got {size} bytes with {sha})");
        }
    }

    private static ChunkCodec? CodecFor(ServiceBackupInfo info, string? encryptionKey)
    {
        if (info.Encryption is not { } encryption)
        {
            return encryptionKey is null
                ? null
                : throw new BackupCorruptException(MetadataKey(info), null,
                    "is refused: the backup is not encrypted, but its policy has an encryption key (was its encryption stripped? " +
                    "to restore a backup taken before the key was set, restore without the key)");
        }

        if (string.IsNullOrEmpty(encryptionKey))
        {
            throw new BackupFailedException($"backup '{info.Id}' is encrypted: its encryption key is needed to read it");
        }

        var codec = ChunkCodec.WithKey(encryptionKey, Convert.FromBase64String(encryption.Salt));
        return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(codec.KeyCheck!), Convert.FromHexString(encryption.KeyCheck))
            ? codec
            : throw new BackupFailedException($"the encryption key does not match backup '{info.Id}'");
    }

    private static string MetadataKey(ServiceBackupInfo info) => $"{Root}{info.Deployment}/{info.Tier}/{info.Name}/{info.Id}.json";

    private async Task<(long Size, string Sha256)> UploadSealedAsync(string file, string key, ChunkCodec codec, CancellationToken ct)
    {
        // Sealed beside the hook's file, in the same private folder, and uploaded from there.
        var sealedFile = file + ".sealed";
        try
        {
            await using (var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            await using (var target = new FileStream(sealedFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await SegmentedCipher.SealAsync(source, target, codec.ServiceBackupKey!, key, ct).ConfigureAwait(false);
            }

            return await UploadHashedAsync(sealedFile, key, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(sealedFile);
        }
    }

    // The sealed data is checked whole against its checksum before a byte of it is opened, so it is kept in a
    // scratch file of its own (unique, deleted when closed) beside the target.
    private async Task DownloadSealedAsync(ServiceBackupInfo info, ChunkCodec codec, string folder, Stream target, CancellationToken ct)
    {
        await using var sealedCopy = new FileStream(Path.Combine(folder, $"{AtomicFile.TemporaryPrefix}sealed-{Guid.NewGuid():N}"), new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            BufferSize = 1 << 16,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        await DownloadCheckedAsync(info, sealedCopy, ct).ConfigureAwait(false);
        sealedCopy.Position = 0;
        try
        {
            await SegmentedCipher.OpenAsync(sealedCopy, target, codec.ServiceBackupKey!, info.DataKey, ct).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw new BackupCorruptException(info.DataKey, null, ex.Message, ex);
        }
    }

    /// <summary>The metadata of a completed backup.</summary>
    public async Task<ServiceBackupInfo> GetAsync(string id, CancellationToken ct = default)
    {
        if (!BackupNames.IsId(id))
        {
            throw new ArgumentException($"'{id}' is not a backup id (expected e.g. 20260101T000000Z-1a2b3c4d)", nameof(id));
        }

        await foreach (var info in store.ListAsync(Root, ct).ConfigureAwait(false))
        {
            if (info.Key.EndsWith($"/{id}.json", StringComparison.Ordinal))
            {
                return await ReadMetadataAsync(info.Key, ct).ConfigureAwait(false);
            }
        }

        throw new BackupNotFoundException(id, store.Name);
    }

    /// <summary>Completed backups, narrowed by deployment, tier and name when given.</summary>
    public async IAsyncEnumerable<ServiceBackupInfo> ListAsync(
        string? deployment = null, string? tier = null, string? name = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var info in store.ListAsync(Root, ct).ConfigureAwait(false))
        {
            if (info.Key.EndsWith(".json", StringComparison.Ordinal))
            {
                var metadata = await ReadMetadataAsync(info.Key, ct).ConfigureAwait(false);
                if ((deployment ?? metadata.Deployment) == metadata.Deployment && (tier ?? metadata.Tier) == metadata.Tier && (name ?? metadata.Name) == metadata.Name)
                {
                    yield return metadata;
                }
            }
        }
    }

    /// <summary>Deletes a backup: its metadata first, so that it stops being listed before its data goes.</summary>
    public async Task DeleteAsync(ServiceBackupInfo backup, CancellationToken ct = default)
    {
        await store.DeleteAsync(backup.DataKey[..^".data".Length] + ".json", ct).ConfigureAwait(false);
        await store.DeleteAsync(backup.DataKey, ct).ConfigureAwait(false);
    }

    private async Task<ServiceBackupInfo> ReadMetadataAsync(string key, CancellationToken ct)
    {
        ServiceBackupInfo info;
        try
        {
            info = JsonSerializer.Deserialize(await ChunkRepository.ReadAllAsync(store, key, ct).ConfigureAwait(false), BackupJsonContext.Default.ServiceBackupInfo)
                ?? throw new JsonException("the metadata is null");
        }
        catch (JsonException ex)
        {
            throw new BackupCorruptException(key, null, $"is not valid backup metadata: {ex.Message}", ex);
        }

        // Sealed data is bound to its data key, so metadata that points elsewhere, or sits elsewhere, is refused.
        return MetadataKey(info) == key && info.DataKey == key[..^".json".Length] + ".data"
            ? info
            : throw new BackupCorruptException(key, null, $"is refused: it describes backup {info.Id} of {info.Deployment}/{info.Tier}/{info.Name} with data '{info.DataKey}', which is not where it is stored");
    }

    private async Task<(long Size, string Sha256)> UploadHashedAsync(string file, string key, CancellationToken ct)
    {
        await using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var hashing = new CryptoStream(source, new HashTransform(sha), CryptoStreamMode.Read);
        await store.PutAsync(key, hashing, ct).ConfigureAwait(false);
        return (source.Length, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private async Task<(long Size, string Sha256)> DownloadHashedAsync(string key, Stream target, CancellationToken ct)
    {
        Stream source;
        try
        {
            source = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException ex)
        {
            throw new BackupCorruptException(key, null, $"is missing from the {store.Name} store", ex);
        }

        await using (source)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            long size = 0;
            for (var read = await source.ReadAsync(buffer, ct).ConfigureAwait(false); read > 0; read = await source.ReadAsync(buffer, ct).ConfigureAwait(false))
            {
                sha.AppendData(buffer, 0, read);
                await target.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                size += read;
            }

            return (size, Convert.ToHexStringLower(sha.GetHashAndReset()));
        }
    }

    /// <summary>Feeds everything read through a stream into an incremental hash, without changing it.</summary>
    private sealed class HashTransform(IncrementalHash hash) : ICryptoTransform
    {
        public int InputBlockSize => 1;
        public int OutputBlockSize => 1;
        public bool CanTransformMultipleBlocks => true;
        public bool CanReuseTransform => false;

        public int TransformBlock(byte[] inputBuffer, int inputOffset, int inputCount, byte[] outputBuffer, int outputOffset)
        {
            hash.AppendData(inputBuffer, inputOffset, inputCount);
            Buffer.BlockCopy(inputBuffer, inputOffset, outputBuffer, outputOffset, inputCount);
            return inputCount;
        }

        public byte[] TransformFinalBlock(byte[] inputBuffer, int inputOffset, int inputCount)
        {
            hash.AppendData(inputBuffer, inputOffset, inputCount);
            return inputBuffer.AsSpan(inputOffset, inputCount).ToArray();
        }

        public void Dispose() { }
    }
}
