using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Strata.Backups.Chunking;

namespace Strata.Backups.Snapshots;

/// <summary>
/// Writes the files of a restore, several at once. Within a file, the next chunks are fetched, authenticated,
/// decompressed and checked against their ids while earlier ones are written: past the page cache
/// (<see cref="DirectFile"/>) where the file system allows it, otherwise at their offsets into the preallocated file
/// (the kernel takes buffered writes to one file one at a time, so several files at once keep both cores busy).
/// </summary>
internal sealed class FileRestorer(ChunkRepository repository, SnapshotEngineOptions options, ChunkCodec codec, ArrayPool<byte> pool)
{
    // Parallelism chunks in flight in all: two per file, as many files as that allows.
    private const int FetchesPerFile = 2;

    // Bytes gathered per write past the page cache: large enough that a GiB takes a thousand writes, small enough
    // that the buffers (one per file being written, kept for the whole restore) add little to its memory.
    private const int DirectWriteSize = 1024 * 1024;

    // One per file being written at most; kept for the whole restore so their pages are touched once.
    private readonly ConcurrentBag<AlignedBuffer> _buffers = [];

    private int FilesAtOnce => Math.Max(2, options.Parallelism / FetchesPerFile);

    public Task WriteAsync(IEnumerable<SnapshotEntry> files, string root, CancellationToken ct) =>
        Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = FilesAtOnce, CancellationToken = ct },
            (entry, token) => new ValueTask(WriteFileAsync(entry, Path.Combine(root, entry.Path), token)));

    private async Task WriteFileAsync(SnapshotEntry entry, string path, CancellationToken ct)
    {
        var buffer = !options.DirectRestoreWrites ? null : _buffers.TryTake(out var kept) ? kept : new AlignedBuffer(DirectWriteSize);
        try
        {
            using var direct = buffer is null ? null : DirectFile.TryCreate(path, entry.Size, buffer);
            await (direct is null ? WriteBufferedAsync(entry, path, ct) : WriteDirectAsync(entry, direct, ct)).ConfigureAwait(false);
        }
        finally
        {
            if (buffer is not null)
            {
                _buffers.Add(buffer);
            }
        }

        if (entry.Modified is { } modified)
        {
            File.SetLastWriteTimeUtc(path, modified.UtcDateTime);
        }

        File.SetUnixFileMode(path, (UnixFileMode)(entry.Mode & ManifestCheck.PermissionBits));
    }

    private async Task WriteDirectAsync(SnapshotEntry entry, DirectFile file, CancellationToken ct)
    {
        await foreach (var chunk in FetchInOrderAsync(entry, ct).ConfigureAwait(false))
        {
            using (chunk)
            {
                file.Append(chunk.Content.Span);
            }
        }

        file.Complete();
    }

    private async Task WriteBufferedAsync(SnapshotEntry entry, string path, CancellationToken ct)
    {
        var writes = new Queue<Task>();
        try
        {
            // Space for the whole file up front (it keeps its size 0 until written), so the writes need not allocate.
            using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, entry.Size);
            long offset = 0;
            await foreach (var chunk in FetchInOrderAsync(entry, ct).ConfigureAwait(false))
            {
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
            await Task.WhenAll(writes).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// The file's chunks in order, each fetched, authenticated, decompressed and checked against its id while the
    /// caller writes the ones before it; the caller disposes each. Chunks fetched but not taken are returned.
    /// </summary>
    private async IAsyncEnumerable<DecodedChunk> FetchInOrderAsync(SnapshotEntry entry, [EnumeratorCancellation] CancellationToken ct)
    {
        var fetches = new Queue<Task<DecodedChunk>>();
        try
        {
            var chunks = entry.Chunks!;
            for (var next = 0; next < chunks.Count || fetches.Count > 0;)
            {
                for (; next < chunks.Count && fetches.Count < FetchesPerFile; next++)
                {
                    var id = chunks[next];
                    fetches.Enqueue(Task.Run(() => repository.ReadChunkAsync(codec, id, entry.Path, options.Chunking.MaxSize, pool, ct), ct));
                }

                yield return await fetches.Dequeue().ConfigureAwait(false);
            }
        }
        finally
        {
            await ((Task)Task.WhenAll(fetches)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var fetched in fetches.Where(f => f.IsCompletedSuccessfully))
            {
                fetched.Result.Dispose();
            }
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
