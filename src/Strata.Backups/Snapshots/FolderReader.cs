using System.Threading.Channels;
using Strata.Backups.Chunking;
using Strata.Common.Files;

namespace Strata.Backups.Snapshots;

/// <summary>
/// The reading side of a snapshot: walks the folder, takes files unchanged since the parent snapshot from its
/// manifest, and cuts every other file into chunks that it hands to the uploaders in pooled buffers. It only reads
/// and cuts; naming (hashing), compressing and encrypting happen in the uploaders, on the other cores.
/// </summary>
internal sealed class FolderReader(ContentDefinedChunker chunker, SnapshotRun run, ChannelWriter<PendingChunk> chunks)
{
    // Read in the chunker's own buffer, once and in order: no stream buffer.
    private static readonly FileStreamOptions s_readOptions = new()
    {
        Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite, BufferSize = 1, Options = FileOptions.SequentialScan,
    };

    private readonly byte[] _buffer = new byte[chunker.Options.MaxSize * 2];

    public async Task<List<EntryDraft>> ReadAsync(string folder, IReadOnlyDictionary<string, SnapshotEntry> parent, CancellationToken ct)
    {
        var entries = new List<EntryDraft>();
        foreach (var (path, info) in FolderWalk.DepthFirst(folder))
        {
            ct.ThrowIfCancellationRequested();
            EntryDraft? entry = FileFacts.TryOf(info.FullName) switch
            {
                // Gone since its folder was listed (the folder is in use): it is not part of this snapshot.
                null => null,
                { Kind: FileKind.SymbolicLink } when info.LinkTarget is { } target =>
                    new(new SnapshotEntry { Path = path, Kind = SnapshotEntryKind.Symlink, LinkTarget = target }, null),
                { Kind: FileKind.Directory } facts => new(new SnapshotEntry { Path = path, Kind = SnapshotEntryKind.Directory, Mode = PermissionsOf(facts) }, null),
                { Kind: FileKind.Regular } facts => await ReadFileAsync(path, info.FullName, facts, parent.GetValueOrDefault(path), ct).ConfigureAwait(false),
                // Sockets, pipes and devices have no content to back up (and opening a pipe would wait for a writer).
                _ => null,
            };
            if (entry is not null)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    // Setuid, setgid and sticky bits are never recorded, so a restore never creates them and a manifest with them is forged.
    private static int PermissionsOf(FileFacts facts) => (int)facts.Mode & ManifestCheck.PermissionBits;

    private async Task<EntryDraft?> ReadFileAsync(string path, string fullName, FileFacts facts, SnapshotEntry? previous, CancellationToken ct)
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
            return new EntryDraft(entry with { Chunks = chunks }, null);
        }

        if (await CutAsync(fullName, path, ct).ConfigureAwait(false) is not { } pending)
        {
            return null;
        }

        run.FileRead();
        // The size is what was read: a file that grew or shrank since it was stamped is recorded as it was read.
        return new EntryDraft(entry with { Size = pending.Sum(p => (long)p.Length) }, pending);
    }

    /// <summary>Cuts a file into chunks and hands them on; null when it was deleted before it could be opened.</summary>
    private async Task<List<PendingChunk>?> CutAsync(string fullName, string path, CancellationToken ct)
    {
        var pending = new List<PendingChunk>();
        if (FileFacts.OpenReadOrNull(fullName, s_readOptions) is not { } stream)
        {
            return null;
        }

        await using var _ = stream;
        int start = 0, filled = 0;
        var ended = false;
        while (true)
        {
            // Refilled only when less than a largest chunk is left, so the remainder moves rarely and never far.
            if (!ended && filled - start < chunker.Options.MaxSize)
            {
                Buffer.BlockCopy(_buffer, start, _buffer, 0, filled - start);
                (filled, start) = (filled - start, 0);
                (filled, ended) = await FillAsync(stream, filled, ct).ConfigureAwait(false);
            }

            if (filled == start)
            {
                return pending;
            }

            var cutStarted = StageTimes.Start();
            var length = chunker.Cut(_buffer.AsSpan(start, filled - start));
            StageTimes.Stop(BackupStage.Chunk, cutStarted);
            var content = run.Buffers.Rent(length);
            Buffer.BlockCopy(_buffer, start, content, 0, length);
            var chunk = new PendingChunk(content, length, path);
            pending.Add(chunk);
            start += length;
            run.Read(length);
            await chunks.WriteAsync(chunk, ct).ConfigureAwait(false);
        }
    }

    private async Task<(int Filled, bool Ended)> FillAsync(FileStream stream, int filled, CancellationToken ct)
    {
        var started = StageTimes.Start();
        try
        {
            while (filled < _buffer.Length)
            {
                var read = await stream.ReadAsync(_buffer.AsMemory(filled), ct).ConfigureAwait(false);
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
}
