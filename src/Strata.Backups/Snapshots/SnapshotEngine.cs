using System.Runtime.CompilerServices;
using Strata.Backups.Chunking;
using Strata.Storage;

namespace Strata.Backups.Snapshots;

/// <summary>
/// Volume snapshots in one object store: content-defined chunks, deduplicated across snapshots and servers that
/// share the store, compressed, checked with SHA-256 (or an HMAC when encrypted) and optionally encrypted with
/// AES-256-GCM. A snapshot becomes visible when its manifest, written last, appears.
/// </summary>
public sealed class SnapshotEngine
{
    private readonly ChunkRepository _repository;
    private readonly SnapshotWriter _writer;
    private readonly SnapshotReader _reader;

    public SnapshotEngine(IObjectStore store, SnapshotEngineOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new SnapshotEngineOptions();
        if (options.Parallelism < 1)
        {
            throw new ArgumentException($"Parallelism must be at least 1 (got {options.Parallelism})", nameof(options));
        }

        if (options.FilesAtOnce < 1)
        {
            throw new ArgumentException($"FilesAtOnce must be at least 1 (got {options.FilesAtOnce})", nameof(options));
        }

        _repository = new ChunkRepository(store);
        _reader = new SnapshotReader(_repository, options);
        _writer = new SnapshotWriter(_repository, _reader, options, timeProvider ?? TimeProvider.System);
    }

    public IObjectStore Store => _repository.Store;

    /// <summary>Snapshots a folder. Cancelled or failed snapshots leave no manifest, so they are never listed.</summary>
    /// <exception cref="BackupFailedException">The folder does not exist, or the key is empty.</exception>
    /// <exception cref="ObjectStoreUnavailableException">The store could not be reached, even after retries.</exception>
    public Task<SnapshotResult> SnapshotAsync(SnapshotRequest request, IProgress<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _writer.RunAsync(request, progress, ct);
    }

    /// <summary>Restores a snapshot into a new folder, which appears only once everything is written and checked.</summary>
    /// <exception cref="BackupNotFoundException">No completed snapshot has this id.</exception>
    /// <exception cref="BackupCorruptException">
    /// The manifest fails authentication or a safety check, or a chunk is missing or damaged; the message names the object (and the file).
    /// </exception>
    /// <exception cref="BackupFailedException">The target exists, or the key is missing or wrong.</exception>
    public async Task RestoreAsync(string snapshotId, string targetFolder, string? encryptionKey = null, CancellationToken ct = default)
    {
        var manifest = await _reader.LoadAsync(snapshotId, encryptionKey, ct).ConfigureAwait(false);
        await _reader.RestoreAsync(manifest, targetFolder, encryptionKey, ct).ConfigureAwait(false);
    }

    /// <summary>Restores a manifest opened by <see cref="GetManifestAsync"/>.</summary>
    /// <inheritdoc cref="RestoreAsync(string, string, string?, CancellationToken)"/>
    public Task RestoreAsync(SnapshotManifest manifest, string targetFolder, string? encryptionKey = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return _reader.RestoreAsync(manifest, targetFolder, encryptionKey, ct);
    }

    /// <summary>Reads every chunk of a snapshot and checks it, reporting every missing or damaged one.</summary>
    public async Task<VerifyResult> VerifyAsync(string snapshotId, string? encryptionKey = null, CancellationToken ct = default)
    {
        var manifest = await _reader.LoadAsync(snapshotId, encryptionKey, ct).ConfigureAwait(false);
        return await _reader.VerifyAsync(manifest, encryptionKey, ct).ConfigureAwait(false);
    }

    /// <summary>The manifest of a completed snapshot, opened (and authenticated) with the key of its policy.</summary>
    /// <param name="encryptionKey">The key of the snapshot's policy, or null when it has none: a plain manifest is refused when a key is given.</param>
    public Task<SnapshotManifest> GetManifestAsync(string snapshotId, string? encryptionKey = null, CancellationToken ct = default) =>
        _reader.LoadAsync(snapshotId, encryptionKey, ct);

    /// <summary>Where a completed snapshot's manifest is stored: its deployment, tier and volume, readable without its key.</summary>
    /// <exception cref="BackupNotFoundException">No completed snapshot has this id.</exception>
    public async Task<(string Deployment, string Tier, string Volume)> LocateAsync(string snapshotId, CancellationToken ct = default)
    {
        var location = SnapshotLocation.Of(await _reader.FindAsync(snapshotId, ct).ConfigureAwait(false));
        return (location.Deployment, location.Tier, location.Volume);
    }

    /// <summary>The chunks a stored manifest uses, readable without its key.</summary>
    internal async Task<IEnumerable<string>> ChunkIdsAsync(string manifestKey, CancellationToken ct) =>
        (await _reader.ReadStoredAsync(manifestKey, ct).ConfigureAwait(false)).ChunkIds();

    /// <summary>
    /// Completed snapshots, oldest first within each volume. An encrypted snapshot's server, size and file count
    /// are sealed in its manifest: they are read only when <paramref name="keys"/> gives the key of its volume.
    /// </summary>
    public async IAsyncEnumerable<SnapshotInfo> ListAsync(
        SnapshotFilter? filter = null, SnapshotKeyLookup? keys = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var info in Store.ListAsync((filter ?? SnapshotFilter.All).Prefix(), ct).ConfigureAwait(false))
        {
            if (!info.Key.EndsWith(".json", StringComparison.Ordinal))
            {
                continue;
            }

            var stored = await _reader.ReadStoredAsync(info.Key, ct).ConfigureAwait(false);
            yield return await DescribeAsync(stored, keys, ct).ConfigureAwait(false);
        }
    }

    private async Task<SnapshotInfo> DescribeAsync(StoredManifest stored, SnapshotKeyLookup? keys, CancellationToken ct)
    {
        var location = SnapshotLocation.Of(stored.Key);
        var key = keys?.Invoke(location.Deployment, location.Tier, location.Volume);
        var sealedInfo = new SnapshotInfo(stored.Id, location.Deployment, location.Tier, "", location.Volume, BackupNames.CreatedOf(stored.Id), 0, 0, true, stored.Key);
        if (stored.Sealed is not null && key is null)
        {
            return sealedInfo;
        }

        try
        {
            var m = stored.Sealed is null ? stored.Plain! : await _reader.OpenAsync(stored, key, ct).ConfigureAwait(false);
            return new SnapshotInfo(m.Id, m.Deployment, m.Tier, m.Server, m.Volume, m.Created, m.TotalBytes, m.FileCount, m.Encryption is not null, stored.Key);
        }
        catch (BackupFailedException)
        {
            // Sealed under another key (one since replaced, say): still listed, with what is readable without it.
            return sealedInfo;
        }
    }
}

/// <summary>The encryption key of a volume's snapshots, or null when they are not encrypted.</summary>
public delegate string? SnapshotKeyLookup(string deployment, string tier, string volume);
