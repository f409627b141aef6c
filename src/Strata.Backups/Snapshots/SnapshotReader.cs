using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Strata.Backups.Chunking;
using Strata.Storage;

namespace Strata.Backups.Snapshots;

/// <summary>Finds, restores and verifies snapshots. Every chunk is checked against its id before it is written anywhere.</summary>
internal sealed class SnapshotReader(ChunkRepository repository, SnapshotEngineOptions options)
{
    private readonly ConcurrentDictionary<(string Salt, string Key), ChunkCodec> _codecs = new();

    private IObjectStore Store => repository.Store;

    /// <summary>The object key of a completed snapshot's manifest.</summary>
    public async Task<string> FindAsync(string snapshotId, CancellationToken ct)
    {
        if (!BackupNames.IsId(snapshotId))
        {
            throw new ArgumentException($"'{snapshotId}' is not a snapshot id (expected e.g. 20260101T000000Z-1a2b3c4d)", nameof(snapshotId));
        }

        var suffix = $"/{snapshotId}.json";
        await foreach (var info in Store.ListAsync(SnapshotKeys.Root, ct).ConfigureAwait(false))
        {
            if (info.Key.EndsWith(suffix, StringComparison.Ordinal))
            {
                return info.Key;
            }
        }

        throw new BackupNotFoundException(snapshotId, Store.Name);
    }

    public async Task<SnapshotManifest> LoadAsync(string snapshotId, string? encryptionKey, CancellationToken ct)
    {
        var stored = await ReadStoredAsync(await FindAsync(snapshotId, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        return await OpenAsync(stored, encryptionKey, ct).ConfigureAwait(false);
    }

    public async Task<StoredManifest> ReadStoredAsync(string key, CancellationToken ct) =>
        StoredManifest.Parse(key, await ChunkRepository.ReadAllAsync(Store, key, ct).ConfigureAwait(false));

    /// <summary>
    /// The manifest, authenticated where it can be: a sealed one is opened with the key; a plain one is refused
    /// when a key is given (an encrypted snapshot's manifest is never plain since format 2) unless it is a
    /// format-1 manifest this store adopted; every entry is checked for restore safety.
    /// </summary>
    /// <exception cref="BackupCorruptException">The manifest fails one of these checks.</exception>
    /// <exception cref="BackupFailedException">The key is missing or wrong.</exception>
    public async Task<SnapshotManifest> OpenAsync(StoredManifest stored, string? encryptionKey, CancellationToken ct)
    {
        var manifest = stored.Sealed is not null
            ? stored.Open(CodecFor(stored.Id, stored.Encryption, encryptionKey))
            : await OpenPlainAsync(stored, encryptionKey, ct).ConfigureAwait(false);
        if (SnapshotKeys.Manifest(manifest.Deployment, manifest.Tier, manifest.Volume, manifest.Id) != stored.Key)
        {
            throw new BackupCorruptException(stored.Key, null,
                $"is refused: it describes snapshot {manifest.Id} of {manifest.Deployment}/{manifest.Tier}/{manifest.Volume}, which is not where it is stored");
        }

        ManifestCheck.Validate(manifest, stored.Key);
        return manifest;
    }

    private async Task<SnapshotManifest> OpenPlainAsync(StoredManifest stored, string? encryptionKey, CancellationToken ct)
    {
        var manifest = stored.Plain!;
        if (manifest.Encryption is null)
        {
            return encryptionKey is null
                ? manifest
                : throw new BackupCorruptException(stored.Key, null,
                    "is refused: it is not encrypted, but its policy has an encryption key (was its encryption stripped? " +
                    "to restore a snapshot taken before the key was set, restore without the key)");
        }

        if (manifest.FormatVersion >= StoredManifest.CurrentFormat)
        {
            throw new BackupCorruptException(stored.Key, null, "is refused: an encrypted snapshot's manifest stored in plain text, which no current version writes");
        }

        var codec = CodecFor(manifest.Id, manifest.Encryption, encryptionKey);
        return await new LegacyManifests(Store).IsTrustedAsync(stored, codec, ct).ConfigureAwait(false)
            ? manifest
            : throw new BackupCorruptException(stored.Key, null,
                "is refused: a format-1 manifest in plain text that was not in the store when its first sealed manifest was written");
    }

    public ChunkCodec CodecFor(SnapshotManifest manifest, string? encryptionKey) =>
        manifest.Encryption is null
            ? encryptionKey is null
                ? ChunkCodec.Plain
                : throw new BackupFailedException($"snapshot '{manifest.Id}' is not encrypted, but an encryption key was given: refused")
            : CodecFor(manifest.Id, manifest.Encryption, encryptionKey);

    private ChunkCodec CodecFor(string id, SnapshotEncryption? encryption, string? encryptionKey)
    {
        if (encryption is null)
        {
            return ChunkCodec.Plain;
        }

        if (string.IsNullOrEmpty(encryptionKey))
        {
            throw new BackupFailedException($"snapshot '{id}' is encrypted: its encryption key is needed to read it");
        }

        // Deriving a key takes a deliberate 200,000 PBKDF2 rounds; a store has one salt, so one derivation serves every manifest.
        var codec = _codecs.GetOrAdd((encryption.Salt, encryptionKey), k => ChunkCodec.WithKey(k.Key, Convert.FromBase64String(k.Salt)));
        return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(codec.KeyCheck!), Convert.FromHexString(encryption.KeyCheck))
            ? codec
            : throw new BackupFailedException($"the encryption key does not match snapshot '{id}'");
    }

    public async Task RestoreAsync(SnapshotManifest manifest, string targetFolder, string? encryptionKey, CancellationToken ct)
    {
        var codec = CodecFor(manifest, encryptionKey);
        var target = Path.GetFullPath(targetFolder);
        if (Directory.Exists(target) || File.Exists(target))
        {
            throw new BackupFailedException($"cannot restore into '{target}': it already exists; restore into a new folder");
        }

        ManifestCheck.Validate(manifest, SnapshotKeys.Manifest(manifest.Deployment, manifest.Tier, manifest.Volume, manifest.Id));
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        // Restored into a hidden sibling and renamed at the end, so the target appears complete or not at all.
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.strata-restore-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        Directory.CreateDirectory(temp);
        try
        {
            await WriteEntriesAsync(manifest, codec, temp, ct).ConfigureAwait(false);
            Directory.Move(temp, target);
        }
        catch
        {
            Strata.Common.Files.FolderTree.Delete(temp);
            throw;
        }
    }

    public async Task<VerifyResult> VerifyAsync(SnapshotManifest manifest, string? encryptionKey, CancellationToken ct)
    {
        var codec = CodecFor(manifest, encryptionKey);
        var users = manifest.Entries.Where(e => e.Chunks is not null)
            .SelectMany(e => e.Chunks!.Select(id => (id, e.Path)))
            .DistinctBy(pair => pair.id)
            .ToList();
        var problems = new System.Collections.Concurrent.ConcurrentBag<string>();
        var pool = NewChunkPool();
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct }, async (pair, token) =>
        {
            try
            {
                using var checkedChunk = await repository.ReadChunkAsync(codec, pair.id, pair.Path, options.Chunking.MaxSize, pool, token).ConfigureAwait(false);
            }
            catch (BackupCorruptException ex)
            {
                problems.Add(ex.Message);
            }
        }).ConfigureAwait(false);
        return new VerifyResult(manifest.Id, users.Count, [.. problems.Order(StringComparer.Ordinal)]);
    }

    private async Task WriteEntriesAsync(SnapshotManifest manifest, ChunkCodec codec, string root, CancellationToken ct)
    {
        // Folders and links first, in manifest order (a parent before its children); then the files, several at once.
        foreach (var entry in manifest.Entries)
        {
            var path = Path.Combine(root, entry.Path);
            switch (entry.Kind)
            {
                case SnapshotEntryKind.Directory:
                    Directory.CreateDirectory(path);
                    break;
                case SnapshotEntryKind.Symlink:
                    File.CreateSymbolicLink(path, entry.LinkTarget ?? throw new BackupCorruptException(entry.Path, entry.Path, "is a link without a target"));
                    break;
            }
        }

        var files = manifest.Entries.Where(e => e.Kind == SnapshotEntryKind.File);
        await new FileRestorer(repository, options, codec, NewChunkPool()).WriteAsync(files, root, ct).ConfigureAwait(false);

        // Last, deepest first: a folder without write permission would have refused its own content.
        foreach (var entry in manifest.Entries.Where(e => e.Kind == SnapshotEntryKind.Directory).Reverse())
        {
            File.SetUnixFileMode(Path.Combine(root, entry.Path), (UnixFileMode)(entry.Mode & ManifestCheck.PermissionBits));
        }
    }

    /// <summary>
    /// Arrays for the chunks in flight: each fetch holds its stored bytes and, when compressed, its content until
    /// the content is written. Kept per restore, so the arrays go once the restore is done.
    /// </summary>
    private ArrayPool<byte> NewChunkPool() =>
        ArrayPool<byte>.Create(ChunkCodec.MaxStoredLength(options.Chunking.MaxSize), (options.Parallelism * 2) + 4);
}
