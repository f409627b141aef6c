using Strata.Backups.Chunking;
using Strata.Backups.Snapshots;
using Strata.Storage;

namespace Strata.Backups.Retention;

/// <summary>Options of the <see cref="SnapshotPruner"/>.</summary>
public sealed record PruneOptions
{
    /// <summary>
    /// Chunks younger than this are never deleted, and no chunk is deleted while a snapshot younger than this is
    /// running, so that a snapshot in progress never loses a chunk it is about to refer to.
    /// </summary>
    /// <value>The default is 1 hour.</value>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>What a prune removed.</summary>
/// <param name="ChunkDeletionDeferred">True when chunks were left alone because a snapshot was running.</param>
public sealed record PruneResult(IReadOnlyList<string> RemovedSnapshots, int RemovedChunks, long FreedBytes, bool ChunkDeletionDeferred);

/// <summary>Applies a retention policy to each volume's snapshots, then deletes chunks no remaining snapshot refers to.</summary>
public sealed class SnapshotPruner(IObjectStore store, PruneOptions? options = null, TimeProvider? timeProvider = null)
{
    private readonly PruneOptions _options = options ?? new PruneOptions();
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public async Task<PruneResult> PruneAsync(SnapshotFilter filter, RetentionPolicy policy, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var engine = new SnapshotEngine(store);
        var snapshots = new List<SnapshotInfo>();
        await foreach (var info in engine.ListAsync(filter, ct: ct).ConfigureAwait(false))
        {
            snapshots.Add(info);
        }

        var removed = new List<string>();
        foreach (var volume in snapshots.GroupBy(s => (s.Deployment, s.Tier, s.Volume)))
        {
            var kept = policy.SelectKept(volume.Select(s => new RetentionCandidate(s.Id, s.Created)));
            foreach (var snapshot in volume.Where(s => !kept.Contains(s.Id)))
            {
                await store.DeleteAsync(snapshot.ManifestKey, ct).ConfigureAwait(false);
                removed.Add(snapshot.Id);
            }
        }

        var (chunks, bytes, deferred) = await DeleteUnreferencedChunksAsync(engine, ct).ConfigureAwait(false);
        return new PruneResult(removed, chunks, bytes, deferred);
    }

    /// <summary>Deletes chunks that no snapshot in the store (of any volume) refers to and that are older than the grace period.</summary>
    private async Task<(int Chunks, long Bytes, bool Deferred)> DeleteUnreferencedChunksAsync(SnapshotEngine engine, CancellationToken ct)
    {
        var cutoff = _time.GetUtcNow() - _options.GracePeriod;
        await foreach (var running in store.ListAsync(SnapshotKeys.LockRoot, ct).ConfigureAwait(false))
        {
            if (running.LastModified > cutoff)
            {
                return (0, 0, true);
            }
        }

        var referenced = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var info in engine.ListAsync(SnapshotFilter.All, ct: ct).ConfigureAwait(false))
        {
            referenced.UnionWith(await engine.ChunkIdsAsync(info.ManifestKey, ct).ConfigureAwait(false));
        }

        var (count, bytes) = (0, 0L);
        await foreach (var chunk in store.ListAsync(ChunkCodec.ChunkPrefix, ct).ConfigureAwait(false))
        {
            if (ChunkCodec.IdOfKey(chunk.Key) is { } id && !referenced.Contains(id) && chunk.LastModified < cutoff)
            {
                await store.DeleteAsync(chunk.Key, ct).ConfigureAwait(false);
                count++;
                bytes += chunk.Size;
            }
        }

        return (count, bytes, false);
    }
}
