namespace Strata.Backups.Snapshots;

/// <summary>
/// A completed snapshot: what was in the folder and which chunks hold each file. It is written after every chunk
/// it names, so a manifest in the store always describes a complete snapshot.
/// </summary>
public sealed record SnapshotManifest
{
    public required int FormatVersion { get; init; }
    public required string Id { get; init; }
    public required string Deployment { get; init; }
    public required string Tier { get; init; }
    public required string Server { get; init; }
    public required string Volume { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required string EngineVersion { get; init; }

    /// <summary>
    /// The chunk sizes the files were cut with; absent from snapshots taken before they were recorded. A snapshot
    /// cut with other sizes lends no chunk of a changed file: its chunks are not where a whole read would cut.
    /// </summary>
    public Chunking.ChunkingOptions? Chunking { get; init; }

    /// <summary>Present when chunks are encrypted: the salt the key was derived with and a check value for the key.</summary>
    public SnapshotEncryption? Encryption { get; init; }

    /// <summary>Every entry below the folder, sorted by path (ordinal), parents before children.</summary>
    public required IReadOnlyList<SnapshotEntry> Entries { get; init; }

    /// <summary>The sum of the sizes of the regular files, in bytes.</summary>
    public required long TotalBytes { get; init; }

    public required int FileCount { get; init; }

    /// <summary>How many distinct chunks the snapshot refers to.</summary>
    public required int ChunkCount { get; init; }

    public IEnumerable<string> ChunkIds() => Entries.SelectMany(e => e.Chunks ?? []).Distinct(StringComparer.Ordinal);
}

public sealed record SnapshotEncryption(string Salt, string KeyCheck);

public enum SnapshotEntryKind
{
    File,
    Directory,
    Symlink,
}

/// <summary>One file, folder or symbolic link, by its <c>/</c>-separated path relative to the snapshot's folder.</summary>
public sealed record SnapshotEntry
{
    public required string Path { get; init; }
    public required SnapshotEntryKind Kind { get; init; }

    /// <summary>The Unix permission bits (e.g. 0644 as the number 420).</summary>
    public int Mode { get; init; }

    public long Size { get; init; }
    public DateTimeOffset? Modified { get; init; }

    /// <summary>For files, the inode and change time when the file was read, so that the next snapshot can skip it if they and the size and modification time are the same; absent before they were recorded.</summary>
    public long? Inode { get; init; }

    /// <inheritdoc cref="Inode"/>
    public DateTimeOffset? Changed { get; init; }
    public string? LinkTarget { get; init; }

    /// <summary>For files, the ids of the chunks that hold the content, in order.</summary>
    public IReadOnlyList<string>? Chunks { get; init; }

    /// <summary>
    /// For files, the length of each chunk and (with a key) its digest (<see cref="Chunking.ChunkCodec.DigestOf"/>),
    /// beside <see cref="Chunks"/>: what lets the next snapshot take the unchanged chunks of a changed file from this
    /// one. Absent from snapshots taken before they were recorded; a snapshot reads such a parent's changed files whole.
    /// </summary>
    public IReadOnlyList<int>? ChunkLengths { get; init; }

    /// <inheritdoc cref="ChunkLengths"/>
    public IReadOnlyList<string>? ChunkDigests { get; init; }
}

/// <summary>What a listing says about one completed snapshot.</summary>
public sealed record SnapshotInfo(
    string Id, string Deployment, string Tier, string Server, string Volume, DateTimeOffset Created,
    long TotalBytes, int FileCount, bool Encrypted, string ManifestKey);

/// <summary>Which snapshots to list: each part narrows the listing when set.</summary>
public sealed record SnapshotFilter(string? Deployment = null, string? Tier = null, string? Volume = null)
{
    public static SnapshotFilter All { get; } = new();

    internal string Prefix()
    {
        var prefix = SnapshotKeys.Root;
        foreach (var (part, what) in new[] { (Deployment, "deployment"), (Tier, "tier"), (Volume, "volume") })
        {
            if (part is null)
            {
                break;
            }

            BackupNames.Validate(part, what);
            prefix += part + "/";
        }

        return prefix;
    }
}

internal static class SnapshotKeys
{
    public const string RootName = "snapshots";
    public const string Root = RootName + "/";
    public const string LockRoot = "locks/";

    public static string Manifest(string deployment, string tier, string volume, string id) =>
        $"{Root}{deployment}/{tier}/{volume}/{id}.json";

    public static string Lock(string id) => $"{LockRoot}{id}";
}

/// <summary>Where a manifest is stored: <c>snapshots/DEPLOYMENT/TIER/VOLUME/ID.json</c>, readable without opening it.</summary>
internal sealed record SnapshotLocation(string Deployment, string Tier, string Volume, string Id)
{
    /// <exception cref="BackupCorruptException">The key is not a manifest's.</exception>
    public static SnapshotLocation Of(string key)
    {
        var parts = key.Split('/');
        return parts is [SnapshotKeys.RootName, var deployment, var tier, var volume, var file] && file.EndsWith(".json", StringComparison.Ordinal)
            ? new SnapshotLocation(deployment, tier, volume, file[..^".json".Length])
            : throw new BackupCorruptException(key, null, "is not where a snapshot manifest is stored (snapshots/DEPLOYMENT/TIER/VOLUME/ID.json)");
    }
}
