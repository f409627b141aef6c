using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Strata.Backups.Chunking;

namespace Strata.Backups.Snapshots;

/// <summary>
/// Writes the files of a restore, several at once: the kernel takes writes to one file one at a time, and copying
/// into the page cache is a large part of a restore's work, so one file at a time left a core idle. Within a file,
/// the next chunks are fetched, authenticated, decompressed and checked against their ids while earlier ones are
/// written at their offsets into the preallocated file.
/// </summary>
internal sealed class FileRestorer(ChunkRepository repository, SnapshotEngineOptions options, ChunkCodec codec, ArrayPool<byte> pool)
{
    // Parallelism chunks in flight in all: two per file, as many files as that allows.
    private const int FetchesPerFile = 2;

    private int FilesAtOnce => Math.Max(2, options.Parallelism / FetchesPerFile);

    public Task WriteAsync(IEnumerable<SnapshotEntry> files, string root, CancellationToken ct) =>
        Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = FilesAtOnce, CancellationToken = ct },
            (entry, token) => new ValueTask(WriteFileAsync(entry, Path.Combine(root, entry.Path), token)));

    private async Task WriteFileAsync(SnapshotEntry entry, string path, CancellationToken ct)
    {
        var fetches = new Queue<Task<DecodedChunk>>();
        var writes = new Queue<Task>();
        try
        {
            // Space for the whole file up front (it keeps its size 0 until written), so the writes need not allocate.
            using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, entry.Size);
            var chunks = entry.Chunks!;
            var next = 0;
            long offset = 0;
            for (var i = 0; i < chunks.Count; i++)
            {
                for (; next < chunks.Count && fetches.Count < FetchesPerFile; next++)
                {
                    var id = chunks[next];
                    fetches.Enqueue(Task.Run(() => repository.ReadChunkAsync(codec, id, entry.Path, options.Chunking.MaxSize, pool, ct), ct));
                }

                var chunk = await fetches.Dequeue().ConfigureAwait(false);
                var at = offset;
                writes.Enqueue(Task.Run(() => WriteAt(handle, chunk, at), ct));
                offset += chunk.Content.Length;
                // One write waits behind another at most: writes to one file take turns in the kernel anyway.
                if (writes.Count >= 2)
                {
                    await writes.Dequeue().ConfigureAwait(false);
                }
            }

            await Task.WhenAll(writes).ConfigureAwait(false);
        }
        finally
        {
            await DrainAsync(fetches, writes).ConfigureAwait(false);
        }

        if (entry.Modified is { } modified)
        {
            File.SetLastWriteTimeUtc(path, modified.UtcDateTime);
        }

        File.SetUnixFileMode(path, (UnixFileMode)(entry.Mode & ManifestCheck.PermissionBits));
    }

    /// <summary>After a failure, waits for what is still running and returns the arrays of chunks fetched but not written.</summary>
    private static async Task DrainAsync(Queue<Task<DecodedChunk>> fetches, Queue<Task> writes)
    {
        await Task.WhenAll([.. fetches, .. writes]).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var fetched in fetches.Where(f => f.IsCompletedSuccessfully))
        {
            fetched.Result.Dispose();
        }
    }

    private static void WriteAt(SafeFileHandle handle, DecodedChunk chunk, long offset)
    {
        // The chunk's arrays go back to the pool once written; a write that fails leaves them to the collector.
        var started = StageTimes.Start();
        RandomAccess.Write(handle, chunk.Content.Span, offset);
        StageTimes.Stop(BackupStage.FileWrite, started);
        chunk.Dispose();
    }
}
