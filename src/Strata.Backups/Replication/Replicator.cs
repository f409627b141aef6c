using System.Security.Cryptography;
using Strata.Backups.Chunking;
using Strata.Backups.Services;
using Strata.Backups.Snapshots;
using Strata.Storage;

namespace Strata.Backups.Replication;

/// <summary>What a copy to the disaster-recovery store did.</summary>
public sealed record ReplicationResult(string BackupId, int ObjectsCopied, int ObjectsAlreadyPresent, long BytesCopied);

/// <summary>
/// Copies backups from a primary store to a disaster-recovery store: the objects the target lacks, each read back
/// and compared, then the manifest (or metadata) last, so that the copy becomes visible only once complete.
/// Objects are copied as stored, so encrypted chunks stay encrypted and the same key restores from either store.
/// </summary>
public sealed class Replicator(IObjectStore source, IObjectStore target)
{
    /// <summary>Copies one snapshot.</summary>
    /// <exception cref="BackupNotFoundException">The source has no completed snapshot with this id.</exception>
    /// <exception cref="BackupCorruptException">A chunk is missing from the source, or reads back differently from the target.</exception>
    public async Task<ReplicationResult> CopySnapshotAsync(string snapshotId, CancellationToken ct = default)
    {
        var engine = new SnapshotEngine(source);
        var info = await FindSnapshotAsync(engine, snapshotId, ct).ConfigureAwait(false);
        var chunkIds = await engine.ChunkIdsAsync(info.ManifestKey, ct).ConfigureAwait(false);
        var present = await new ChunkRepository(target).ListChunkIdsAsync(ct).ConfigureAwait(false);
        var (copied, already, bytes) = (0, 0, 0L);
        foreach (var id in chunkIds)
        {
            if (present.Contains(id))
            {
                already++;
                continue;
            }

            bytes += await CopyVerifiedAsync(ChunkCodec.KeyOf(id), ct).ConfigureAwait(false);
            copied++;
        }

        // The record of adopted format-1 manifests goes too (it is written once and never changes), so that they
        // restore from the copy as they do from the source.
        var adopted = 0;
        await foreach (var record in source.ListAsync(LegacyManifests.Root, ct).ConfigureAwait(false))
        {
            if (!await target.ExistsAsync(record.Key, ct).ConfigureAwait(false))
            {
                bytes += await CopyVerifiedAsync(record.Key, ct).ConfigureAwait(false);
                adopted++;
            }
        }

        bytes += await CopyVerifiedAsync(info.ManifestKey, ct).ConfigureAwait(false);
        return new ReplicationResult(snapshotId, copied + adopted + 1, already, bytes);
    }

    /// <summary>Copies one service backup: its data, then its metadata.</summary>
    public async Task<ReplicationResult> CopyServiceBackupAsync(string backupId, CancellationToken ct = default)
    {
        var backup = await new ServiceBackupStore(source).GetAsync(backupId, ct).ConfigureAwait(false);
        var bytes = await CopyVerifiedAsync(backup.DataKey, ct).ConfigureAwait(false);
        bytes += await CopyVerifiedAsync(backup.DataKey[..^".data".Length] + ".json", ct).ConfigureAwait(false);
        return new ReplicationResult(backupId, 2, 0, bytes);
    }

    private static async Task<SnapshotInfo> FindSnapshotAsync(SnapshotEngine engine, string snapshotId, CancellationToken ct)
    {
        await foreach (var info in engine.ListAsync(SnapshotFilter.All, ct: ct).ConfigureAwait(false))
        {
            if (info.Id == snapshotId)
            {
                return info;
            }
        }

        throw new BackupNotFoundException(snapshotId, engine.Store.Name);
    }

    private async Task<long> CopyVerifiedAsync(string key, CancellationToken ct)
    {
        byte[] content;
        try
        {
            content = await ChunkRepository.ReadAllAsync(source, key, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException ex)
        {
            throw new BackupCorruptException(key, null, $"is missing from the source {source.Name} store; nothing more was copied", ex);
        }

        await target.PutAsync(key, new MemoryStream(content, writable: false), ct).ConfigureAwait(false);
        var readBack = await ChunkRepository.ReadAllAsync(target, key, ct).ConfigureAwait(false);
        if (!SHA256.HashData(readBack).AsSpan().SequenceEqual(SHA256.HashData(content)))
        {
            throw new BackupCorruptException(key, null, $"reads back from the {target.Name} disaster-recovery store differently from what was written");
        }

        return content.Length;
    }
}
