using System.Security.Cryptography;
using System.Text.Json;
using Strata.Backups.Chunking;
using Strata.Storage;

namespace Strata.Backups.Snapshots;

/// <summary>Finds, restores and verifies snapshots. Every chunk is checked against its id before it is written anywhere.</summary>
internal sealed class SnapshotReader(ChunkRepository repository, SnapshotEngineOptions options)
{
    private IObjectStore Store => repository.Store;

    public async Task<SnapshotManifest> LoadAsync(string snapshotId, CancellationToken ct)
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
                return await LoadManifestAsync(info.Key, ct).ConfigureAwait(false);
            }
        }

        throw new BackupNotFoundException(snapshotId, Store.Name);
    }

    public async Task<SnapshotManifest> LoadManifestAsync(string key, CancellationToken ct)
    {
        var bytes = await ChunkRepository.ReadAllAsync(Store, key, ct).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(bytes, BackupJsonContext.Default.SnapshotManifest)
                ?? throw new JsonException("the manifest is null");
        }
        catch (JsonException ex)
        {
            throw new BackupCorruptException(key, null, $"is not a valid snapshot manifest: {ex.Message}", ex);
        }
    }

    public ChunkCodec CodecFor(SnapshotManifest manifest, string? encryptionKey)
    {
        if (manifest.Encryption is not { } encryption)
        {
            return ChunkCodec.Plain;
        }

        if (string.IsNullOrEmpty(encryptionKey))
        {
            throw new BackupFailedException($"snapshot '{manifest.Id}' is encrypted: its encryption key is needed to read it");
        }

        var codec = ChunkCodec.WithKey(encryptionKey, Convert.FromBase64String(encryption.Salt));
        return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(codec.KeyCheck!), Convert.FromHexString(encryption.KeyCheck))
            ? codec
            : throw new BackupFailedException($"the encryption key does not match snapshot '{manifest.Id}'");
    }

    public async Task RestoreAsync(SnapshotManifest manifest, string targetFolder, string? encryptionKey, CancellationToken ct)
    {
        var codec = CodecFor(manifest, encryptionKey);
        var target = Path.GetFullPath(targetFolder);
        if (Directory.Exists(target) || File.Exists(target))
        {
            throw new BackupFailedException($"cannot restore into '{target}': it already exists; restore into a new folder");
        }

        CheckPaths(manifest);
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
            DeleteTree(temp);
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
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct }, async (pair, token) =>
        {
            try
            {
                await repository.ReadChunkAsync(codec, pair.id, pair.Path, token).ConfigureAwait(false);
            }
            catch (BackupCorruptException ex)
            {
                problems.Add(ex.Message);
            }
        }).ConfigureAwait(false);
        return new VerifyResult(manifest.Id, users.Count, [.. problems.Order(StringComparer.Ordinal)]);
    }

    private static void CheckPaths(SnapshotManifest manifest)
    {
        foreach (var entry in manifest.Entries)
        {
            try
            {
                ObjectKey.Validate(entry.Path);
            }
            catch (ArgumentException ex)
            {
                var key = SnapshotKeys.Manifest(manifest.Deployment, manifest.Tier, manifest.Volume, manifest.Id);
                throw new BackupCorruptException(key, entry.Path, "names a path outside the snapshot's folder", ex);
            }
        }
    }

    private async Task WriteEntriesAsync(SnapshotManifest manifest, ChunkCodec codec, string root, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var fetches = new Queue<Task<byte[]>>();
        using var pending = manifest.Entries.Where(e => e.Kind == SnapshotEntryKind.File)
            .SelectMany(e => e.Chunks!.Select(id => (id, e.Path)))
            .GetEnumerator();
        try
        {
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
                    case SnapshotEntryKind.File:
                        await WriteFileAsync(entry, path, codec, fetches, pending, cts.Token).ConfigureAwait(false);
                        break;
                }
            }

            // Last, deepest first: a folder without write permission would have refused its own content.
            foreach (var entry in manifest.Entries.Where(e => e.Kind == SnapshotEntryKind.Directory).Reverse())
            {
                File.SetUnixFileMode(Path.Combine(root, entry.Path), (UnixFileMode)entry.Mode);
            }
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await ((Task)Task.WhenAll(fetches)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task WriteFileAsync(
        SnapshotEntry entry, string path, ChunkCodec codec, Queue<Task<byte[]>> fetches,
        IEnumerator<(string Id, string Path)> pending, CancellationToken ct)
    {
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
        {
            foreach (var _ in entry.Chunks!)
            {
                // Chunks are fetched ahead in manifest order, so the head of the queue is always this file's next chunk.
                while (fetches.Count < options.Parallelism && pending.MoveNext())
                {
                    var (id, owner) = pending.Current;
                    fetches.Enqueue(Task.Run(() => repository.ReadChunkAsync(codec, id, owner, ct), ct));
                }

                var content = await fetches.Dequeue().ConfigureAwait(false);
                await file.WriteAsync(content, ct).ConfigureAwait(false);
            }
        }

        if (entry.Modified is { } modified)
        {
            File.SetLastWriteTimeUtc(path, modified.UtcDateTime);
        }

        File.SetUnixFileMode(path, (UnixFileMode)entry.Mode);
    }

    private static void DeleteTree(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        // Restored modes may forbid deleting; the half-restored copy must go regardless.
        foreach (var directory in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Prepend(folder))
        {
            if (new DirectoryInfo(directory).LinkTarget is null)
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        Directory.Delete(folder, recursive: true);
    }
}
