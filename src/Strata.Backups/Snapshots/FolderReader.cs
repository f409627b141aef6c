using System.Collections.Concurrent;
using System.Threading.Channels;
using Strata.Backups.Chunking;
using Strata.Common.Files;

namespace Strata.Backups.Snapshots;

/// <summary>
/// The reading side of a snapshot: walks the folder, takes files unchanged since the parent snapshot from its
/// manifest, and cuts every other file into chunks that it hands to the uploaders in pooled buffers, up to
/// <c>filesAtOnce</c> files at once, each in a read buffer of its own. It only reads and cuts (and takes, from a
/// changed file, the parent's chunks that are unchanged in place, by their keyed digests); naming (hashing),
/// compressing and encrypting happen in the uploaders, on the other cores. The entries come out in the walk's order
/// whatever order the files are cut in.
/// </summary>
internal sealed class FolderReader(ContentDefinedChunker chunker, ChunkCodec codec, SnapshotRun run, ChannelWriter<PendingChunk> chunks, int filesAtOnce)
{
    // Read in the chunker's own buffer, once and in order: no stream buffer.
    private static readonly FileStreamOptions s_readOptions = new()
    {
        Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite, BufferSize = 1, Options = FileOptions.SequentialScan,
    };

    // The read buffers of the files being cut; one is taken for each file and given back when it is cut.
    private readonly ConcurrentBag<byte[]> _buffers = [];
    private readonly SemaphoreSlim _cutting = new(filesAtOnce, filesAtOnce);

    public async Task<List<EntryDraft>> ReadAsync(string folder, IReadOnlyDictionary<string, SnapshotEntry> parent, CancellationToken ct)
    {
        // The first file that fails stops the walk and the other files' cuts: the snapshot has failed.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var entries = new List<Walked>();
        try
        {
            await WalkAsync(folder, parent, entries, failed).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // A cut failed, and its error is thrown below.
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            await SettleAsync(entries).ConfigureAwait(false);
            throw;
        }

        // Every cut started has ended before the entries are read: none writes to the channel afterwards.
        await SettleAsync(entries).ConfigureAwait(false);
        if (entries.FirstOrDefault(e => e.Cut is { IsFaulted: true } cut && cut.Exception!.InnerException is not OperationCanceledException).Cut is { } fault)
        {
            await fault.ConfigureAwait(false);
        }

        ct.ThrowIfCancellationRequested();
        return [.. entries.Select(e => e.Cut is { } cut ? cut.Result : e.Ready).OfType<EntryDraft>()];
    }

    private async Task WalkAsync(string folder, IReadOnlyDictionary<string, SnapshotEntry> parent, List<Walked> entries, CancellationTokenSource failed)
    {
        foreach (var (path, info) in FolderWalk.DepthFirst(folder))
        {
            failed.Token.ThrowIfCancellationRequested();
            entries.Add(FileFacts.TryOf(info.FullName) switch
            {
                // Gone since its folder was listed (the folder is in use): it is not part of this snapshot.
                null => default,
                { Kind: FileKind.SymbolicLink } when info.LinkTarget is { } target =>
                    new(new(new SnapshotEntry { Path = path, Kind = SnapshotEntryKind.Symlink, LinkTarget = target }, null), null),
                { Kind: FileKind.Directory } facts =>
                    new(new(new SnapshotEntry { Path = path, Kind = SnapshotEntryKind.Directory, Mode = PermissionsOf(facts) }, null), null),
                { Kind: FileKind.Regular } facts => await ReadFileAsync(path, info.FullName, facts, parent.GetValueOrDefault(path), failed).ConfigureAwait(false),
                // Sockets, pipes and devices have no content to back up (and opening a pipe would wait for a writer).
                _ => default,
            });
        }
    }

    private static Task SettleAsync(List<Walked> entries) =>
        ((Task)Task.WhenAll(entries.Select(e => e.Cut).OfType<Task<EntryDraft?>>()))
            .ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    // Setuid, setgid and sticky bits are never recorded, so a restore never creates them and a manifest with them is forged.
    private static int PermissionsOf(FileFacts facts) => (int)facts.Mode & ManifestCheck.PermissionBits;

    /// <summary>
    /// The file's entry: at once when it is unchanged since the parent snapshot, otherwise a cut of the file, started
    /// once fewer than <c>filesAtOnce</c> files are being cut.
    /// </summary>
    private async Task<Walked> ReadFileAsync(string path, string fullName, FileFacts facts, SnapshotEntry? previous, CancellationTokenSource failed)
    {
        // Stamped before reading: a write during the read changes the change time, so the next snapshot reads it again.
        var stamp = FileStamp.From(facts);
        var entry = new SnapshotEntry
        {
            Path = path,
            Kind = SnapshotEntryKind.File,
            Mode = PermissionsOf(facts),
            Size = stamp.Size,
            Modified = stamp.Modified,
            Inode = stamp.Inode,
            Changed = stamp.Changed,
        };
        if (previous is { Chunks: { } chunks } && stamp.Matches(previous) && chunks.All(run.WasStored))
        {
            run.Reused(chunks.Count);
            run.FileRead();
            // Same size: the lists stay as consistent as they were, and every use of them checks (ParentLayout).
            return new(new EntryDraft(entry with { Chunks = chunks, ChunkLengths = previous.ChunkLengths, ChunkDigests = previous.ChunkDigests }, null), null);
        }

        await _cutting.WaitAsync(failed.Token).ConfigureAwait(false);
        return new(null, Task.Run(async () =>
        {
            var buffer = _buffers.TryTake(out var free) ? free : new byte[chunker.Options.MaxSize * 2];
            try
            {
                if (await CutAsync(fullName, path, ParentLayout.Of(previous), buffer, failed.Token).ConfigureAwait(false) is not { } pending)
                {
                    return null;
                }

                run.FileRead();
                // The size is what was read: a file that grew or shrank since it was stamped is recorded as it was read.
                return new EntryDraft(entry with { Size = pending.Sum(p => (long)p.Length) }, pending);
            }
            catch
            {
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                _buffers.Add(buffer);
                _cutting.Release();
            }
        }, CancellationToken.None));
    }

    /// <summary>
    /// Cuts a file into chunks and hands them on; null when it was deleted before it could be opened. A chunk of
    /// the parent snapshot found unchanged at its place in the file is taken as it is, not cut or named again.
    /// </summary>
    private async Task<List<PendingChunk>?> CutAsync(string fullName, string path, ParentLayout? parent, byte[] buffer, CancellationToken ct)
    {
        var pending = new List<PendingChunk>();
        if (FileFacts.OpenReadOrNull(fullName, s_readOptions) is not { } stream)
        {
            return null;
        }

        await using var _ = stream;
        int start = 0, filled = 0;
        long offset = 0;
        var ended = false;
        while (true)
        {
            // Refilled only when less than a largest chunk is left, so the remainder moves rarely and never far.
            if (!ended && filled - start < chunker.Options.MaxSize)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                (filled, start) = (filled - start, 0);
                (filled, ended) = await FillAsync(stream, buffer, filled, ct).ConfigureAwait(false);
            }

            if (filled == start)
            {
                return pending;
            }

            if (parent?.ChunkAt(offset) is { } index && MatchingDigest(parent, index, offset, buffer.AsSpan(start, filled - start)) is { } digest)
            {
                var matched = parent.Length(index);
                pending.Add(PendingChunk.Matched(parent.Id(index), digest, matched, path));
                (start, offset) = (start + matched, offset + matched);
                run.Matched(matched);
                run.Read(matched);
                continue;
            }

            var cutStarted = StageTimes.Start();
            var length = chunker.Cut(buffer.AsSpan(start, filled - start));
            StageTimes.Stop(BackupStage.Chunk, cutStarted);
            var content = run.Buffers.Rent(length);
            Buffer.BlockCopy(buffer, start, content, 0, length);
            var chunk = new PendingChunk(content, length, path);
            pending.Add(chunk);
            (start, offset) = (start + length, offset + length);
            run.Read(length);
            await chunks.WriteAsync(chunk, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The digest of the parent's chunk at <paramref name="offset"/> when <paramref name="ahead"/> (what is left of
    /// the file from there, or at least a largest chunk of it) starts with the same bytes and the chunker would cut
    /// it in the same place; otherwise null. The chunker looks only at the chunk's own bytes and at how far the input
    /// goes, up to a largest chunk: with both the same the cut is the same, so a snapshot taken this way records the
    /// chunks a snapshot reading the whole file would, and deduplicates as well.
    /// </summary>
    private string? MatchingDigest(ParentLayout parent, int index, long offset, ReadOnlySpan<byte> ahead)
    {
        var length = parent.Length(index);
        var lookahead = chunker.Options.MaxSize;
        var sameLookahead = Math.Min(ahead.Length, lookahead) == Math.Min(parent.FileSize - offset, lookahead);
        if (length > ahead.Length || length > lookahead || !sameLookahead || !run.WasStored(parent.Id(index)))
        {
            return null;
        }

        var digest = codec.DigestOf(ahead[..length]);
        return digest is not null && digest == parent.Digest(index) ? digest : null;
    }

    private static async Task<(int Filled, bool Ended)> FillAsync(FileStream stream, byte[] buffer, int filled, CancellationToken ct)
    {
        var started = StageTimes.Start();
        try
        {
            while (filled < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    return (filled, true);
                }

                filled += read;
            }

            return (filled, false);
        }
        finally
        {
            StageTimes.Stop(BackupStage.Read, started);
        }
    }

    /// <summary>An entry of the walk: ready at once (a folder, a link, an unchanged file), or a file being cut; neither when left out.</summary>
    private readonly record struct Walked(EntryDraft? Ready, Task<EntryDraft?>? Cut);
}
