using System.Buffers;
using System.Collections.Concurrent;

namespace Strata.Backups.Snapshots;

/// <summary>
/// One chunk cut by the reader, in a pooled buffer until an uploader has named and stored it; its id and digest are
/// set by the uploader (or by the reader, for a chunk matched in the parent snapshot, which has no buffer), and read
/// only once every uploader has finished.
/// </summary>
internal sealed class PendingChunk(byte[]? buffer, int length, string file)
{
    public byte[]? Buffer { get; set; } = buffer;
    public int Length => length;
    public string File => file;
    public string? Id { get; set; }
    public string? Digest { get; set; }

    /// <summary>A chunk found unchanged at its place in the parent snapshot: named already, never handed to an uploader.</summary>
    public static PendingChunk Matched(string id, string digest, int length, string file) => new(null, length, file) { Id = id, Digest = digest };
}

/// <summary>An entry as the reader leaves it: complete, or a file whose chunk ids the uploaders are still working out.</summary>
internal sealed record EntryDraft(SnapshotEntry Entry, List<PendingChunk>? Pending)
{
    public SnapshotEntry Complete() => Pending is null
        ? Entry
        : Entry with
        {
            Chunks = Pending.ConvertAll(p => p.Id!),
            ChunkLengths = Pending.ConvertAll(p => p.Length),
            // Digests are recorded only with a key (see ChunkCodec.DigestOf).
            ChunkDigests = Pending.Count > 0 && Pending.TrueForAll(p => p.Digest is not null) ? Pending.ConvertAll(p => p.Digest!) : null,
        };
}

/// <summary>
/// What the reader and the uploaders of one snapshot share: the buffers chunks travel in, the set of chunk ids
/// known to be stored or on their way, and the counters.
/// </summary>
internal sealed class SnapshotRun(HashSet<string> stored, ArrayPool<byte> buffers, IProgress<BackupProgress>? progress)
{
    private readonly ConcurrentDictionary<string, byte> _known = new(stored.Select(id => KeyValuePair.Create(id, (byte)0)), StringComparer.Ordinal);
    private long _filesRead;
    private long _bytesRead;
    private long _chunksUploaded;
    private long _chunksReused;
    private long _bytesMatched;
    private long _bytesUploaded;
    private readonly Lock _reporting = new();

    public ArrayPool<byte> Buffers => buffers;
    public long BytesRead => Interlocked.Read(ref _bytesRead);
    public long BytesUploaded => Interlocked.Read(ref _bytesUploaded);
    public long ChunksUploaded => Interlocked.Read(ref _chunksUploaded);
    public long ChunksReused => Interlocked.Read(ref _chunksReused);
    public long BytesMatched => Interlocked.Read(ref _bytesMatched);

    /// <summary>Whether the store held this chunk when the snapshot started.</summary>
    public bool WasStored(string id) => stored.Contains(id);

    /// <summary>Claims a chunk for upload: false when it is stored already or another uploader has claimed it.</summary>
    public bool Claim(string id)
    {
        if (_known.TryAdd(id, 0))
        {
            return true;
        }

        Interlocked.Increment(ref _chunksReused);
        return false;
    }

    public void Read(long bytes)
    {
        Interlocked.Add(ref _bytesRead, bytes);
        Report();
    }

    /// <summary>A file taken whole from the parent snapshot: none of its chunks is read or uploaded.</summary>
    public void Reused(int chunks) => Interlocked.Add(ref _chunksReused, chunks);

    /// <summary>A chunk of a changed file found unchanged at its place in the parent snapshot, read but neither cut nor named.</summary>
    public void Matched(int length)
    {
        Interlocked.Increment(ref _chunksReused);
        Interlocked.Add(ref _bytesMatched, length);
    }

    public void FileRead()
    {
        Interlocked.Increment(ref _filesRead);
        Report();
    }

    public void Uploaded(long bytes)
    {
        Interlocked.Increment(ref _chunksUploaded);
        Interlocked.Add(ref _bytesUploaded, bytes);
    }

    // Only the reader reports, so that no report arrives after the snapshot has thawed the volume. It cuts several
    // files at once: one report at a time, each reading the counters then, so that none is older than the one before.
    private void Report()
    {
        if (progress is null)
        {
            return;
        }

        lock (_reporting)
        {
            progress.Report(new BackupProgress(Interlocked.Read(ref _filesRead), BytesRead, ChunksUploaded, ChunksReused, BytesUploaded));
        }
    }
}
