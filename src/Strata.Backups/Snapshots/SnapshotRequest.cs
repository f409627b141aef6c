namespace Strata.Backups.Snapshots;

/// <summary>What to snapshot and under which names.</summary>
/// <param name="Folder">The volume's folder; everything below it is included.</param>
/// <param name="EncryptionKey">A secret from which chunk encryption keys are derived; <see langword="null"/> stores chunks unencrypted.</param>
/// <param name="Freeze">Runs before the folder is read, e.g. to flush and pause writes; optional.</param>
/// <param name="Thaw">Runs after the folder has been read, also when reading failed; optional.</param>
public sealed record SnapshotRequest(
    string Folder,
    string Deployment,
    string Tier,
    string Server,
    string Volume,
    string? EncryptionKey = null,
    Func<CancellationToken, Task>? Freeze = null,
    Func<CancellationToken, Task>? Thaw = null);

/// <summary>How far a snapshot has got.</summary>
public sealed record BackupProgress(long FilesRead, long BytesRead, long ChunksUploaded, long ChunksReused, long BytesUploaded);

/// <summary>The outcome of a snapshot.</summary>
/// <param name="BytesUploaded">The bytes added to the store (compressed, encrypted chunks plus the manifest).</param>
public sealed record SnapshotResult(
    SnapshotManifest Manifest, string ManifestKey, long BytesRead, long BytesUploaded, int ChunksUploaded, int ChunksReused, TimeSpan Duration)
{
    /// <summary>Of the bytes read, those of changed files' chunks found unchanged at their place in the parent snapshot: neither cut nor named again.</summary>
    public long BytesMatched { get; init; }
}

/// <summary>The outcome of a verification: every chunk that is missing or damaged.</summary>
public sealed record VerifyResult(string SnapshotId, int ChunksChecked, IReadOnlyList<string> Problems)
{
    public bool Ok => Problems.Count == 0;
}
