using System.Threading.Channels;
using Strata.Backups.Chunking;
using Strata.Storage;

namespace Strata.Backups.Snapshots;

/// <summary>
/// Takes one snapshot: one reader cuts files into chunks and names them, several uploaders compress, encrypt and
/// store the chunks the store does not have yet, and the manifest is written last.
/// </summary>
internal sealed class SnapshotWriter(ChunkRepository repository, SnapshotEngineOptions options, TimeProvider time)
{
    public const string EngineVersion = "strata-backups/1";

    private readonly ContentDefinedChunker _chunker = new(options.Chunking);

    public async Task<SnapshotResult> RunAsync(SnapshotRequest request, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        Validate(request);
        var started = time.GetTimestamp();
        var created = time.GetUtcNow();
        var id = BackupNames.NewId(created);
        var salt = request.EncryptionKey is null ? null : await repository.GetOrCreateSaltAsync(ct).ConfigureAwait(false);
        var codec = salt is null ? ChunkCodec.Plain : ChunkCodec.WithKey(request.EncryptionKey!, salt);

        // The lock tells a concurrent prune that chunks it sees as unreferenced may be about to be used.
        var lockKey = SnapshotKeys.Lock(id);
        await repository.Store.PutAsync(lockKey, new MemoryStream("{}"u8.ToArray()), ct).ConfigureAwait(false);
        try
        {
            var state = new RunState(await repository.ListChunkIdsAsync(ct).ConfigureAwait(false), progress);
            var entries = await ReadAndUploadAsync(request, codec, state, ct).ConfigureAwait(false);
            await EnsureReusedChunksStillExistAsync(entries, state, ct).ConfigureAwait(false);
            var manifest = BuildManifest(request, id, created, entries, codec, salt);
            var manifestKey = SnapshotKeys.Manifest(request.Deployment, request.Tier, request.Volume, id);
            if (codec.IsEncrypted)
            {
                await new LegacyManifests(repository.Store).AdoptAsync(codec, ct).ConfigureAwait(false);
            }

            var json = StoredManifest.Write(manifest, manifestKey, codec);
            await repository.Store.PutAsync(manifestKey, new MemoryStream(json), ct).ConfigureAwait(false);
            return new SnapshotResult(
                manifest, manifestKey, state.BytesRead, state.BytesUploaded + json.Length, (int)state.ChunksUploaded,
                (int)state.ChunksReused, time.GetElapsedTime(started));
        }
        finally
        {
            await repository.Store.DeleteAsync(lockKey, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static void Validate(SnapshotRequest request)
    {
        BackupNames.Validate(request.Deployment, "deployment");
        BackupNames.Validate(request.Tier, "tier");
        BackupNames.Validate(request.Server, "server");
        BackupNames.Validate(request.Volume, "volume");
        if (!Directory.Exists(request.Folder))
        {
            throw new BackupFailedException($"cannot snapshot '{request.Folder}': the folder does not exist");
        }

        if (request.EncryptionKey is { Length: 0 })
        {
            throw new BackupFailedException("the encryption key is empty; give a non-empty secret or none");
        }
    }

    private async Task<List<SnapshotEntry>> ReadAndUploadAsync(SnapshotRequest request, ChunkCodec codec, RunState state, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateBounded<PendingChunk>(options.Parallelism * 2);
        var uploaders = Enumerable.Range(0, options.Parallelism)
            .Select(_ => Task.Run(() => UploadLoopAsync(channel.Reader, codec, state, cts), CancellationToken.None))
            .ToList();
        var reader = Task.Run(() => FreezeReadThawAsync(request, codec, state, channel.Writer, cts), CancellationToken.None);
        List<Task> all = [reader, .. uploaders];
        await Task.WhenAll(all).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (all.FirstOrDefault(t => t.IsFaulted && t.Exception!.InnerException is not OperationCanceledException) is { } failed)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed.Exception!.InnerException!);
        }

        ct.ThrowIfCancellationRequested();
        await Task.WhenAll(all).ConfigureAwait(false);
        return await reader.ConfigureAwait(false);
    }

    private async Task<List<SnapshotEntry>> FreezeReadThawAsync(
        SnapshotRequest request, ChunkCodec codec, RunState state, ChannelWriter<PendingChunk> writer, CancellationTokenSource cts)
    {
        try
        {
            if (request.Freeze is not null)
            {
                await request.Freeze(cts.Token).ConfigureAwait(false);
            }

            try
            {
                return await ReadFolderAsync(request.Folder, codec, state, writer, cts.Token).ConfigureAwait(false);
            }
            finally
            {
                if (request.Thaw is not null)
                {
                    await request.Thaw(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
            await cts.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private async Task<List<SnapshotEntry>> ReadFolderAsync(
        string folder, ChunkCodec codec, RunState state, ChannelWriter<PendingChunk> writer, CancellationToken ct)
    {
        var entries = new List<SnapshotEntry>();
        var buffer = new byte[options.Chunking.MaxSize];
        foreach (var (path, info) in FolderScanner.Scan(folder))
        {
            ct.ThrowIfCancellationRequested();
            SnapshotEntry? entry = info switch
            {
                { LinkTarget: { } target } => new SnapshotEntry { Path = path, Kind = SnapshotEntryKind.Symlink, LinkTarget = target },
                DirectoryInfo => new SnapshotEntry { Path = path, Kind = SnapshotEntryKind.Directory, Mode = PermissionsOf(info) },
                FileInfo file when IsRegular(file) => await ReadFileAsync(path, file, buffer, codec, state, writer, ct).ConfigureAwait(false),
                // Sockets, pipes and devices have no content to back up.
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
    private static int PermissionsOf(FileSystemInfo info) => (int)info.UnixFileMode & ManifestCheck.PermissionBits;

    private static bool IsRegular(FileInfo file) =>
        (file.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) == 0 && file.Exists;

    private async Task<SnapshotEntry> ReadFileAsync(
        string path, FileInfo file, byte[] buffer, ChunkCodec codec, RunState state, ChannelWriter<PendingChunk> writer, CancellationToken ct)
    {
        var chunks = new List<string>();
        long size = 0;
        await using (var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan))
        {
            var filled = 0;
            var ended = false;
            while (true)
            {
                while (!ended && filled < buffer.Length)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
                    ended = read == 0;
                    filled += read;
                }

                if (filled == 0)
                {
                    break;
                }

                var length = _chunker.Cut(buffer.AsSpan(0, filled));
                var content = buffer.AsSpan(0, length).ToArray();
                var id = codec.IdOf(content);
                chunks.Add(id);
                size += length;
                await state.OfferAsync(id, content, writer, ct).ConfigureAwait(false);
                Buffer.BlockCopy(buffer, length, buffer, 0, filled - length);
                filled -= length;
            }
        }

        state.FileRead();
        return new SnapshotEntry
        {
            Path = path,
            Kind = SnapshotEntryKind.File,
            Mode = PermissionsOf(file),
            Size = size,
            Modified = new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero),
            Chunks = chunks,
        };
    }

    private async Task UploadLoopAsync(ChannelReader<PendingChunk> reader, ChunkCodec codec, RunState state, CancellationTokenSource cts)
    {
        try
        {
            await foreach (var chunk in reader.ReadAllAsync(cts.Token).ConfigureAwait(false))
            {
                var stored = codec.Encode(chunk.Id, chunk.Content);
                await repository.Store.PutAsync(ChunkCodec.KeyOf(chunk.Id), new MemoryStream(stored, writable: false), cts.Token)
                    .ConfigureAwait(false);
                state.Uploaded(stored.Length);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await cts.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A prune running alongside may have deleted a chunk this snapshot found and reused; writing a manifest that
    /// names a deleted chunk would be a silently broken snapshot, so this is checked (one listing) first.
    /// </summary>
    private async Task EnsureReusedChunksStillExistAsync(List<SnapshotEntry> entries, RunState state, CancellationToken ct)
    {
        if (state.ChunksReused == 0)
        {
            return;
        }

        var present = await repository.ListChunkIdsAsync(ct).ConfigureAwait(false);
        var missing = entries.SelectMany(e => e.Chunks ?? []).FirstOrDefault(id => !present.Contains(id));
        if (missing is not null)
        {
            throw new BackupFailedException(
                $"chunk '{ChunkCodec.KeyOf(missing)}' disappeared from the {repository.Store.Name} store while the snapshot ran " +
                "(a prune at the same time?); the snapshot was not recorded, run it again");
        }
    }

    private static SnapshotManifest BuildManifest(
        SnapshotRequest request, string id, DateTimeOffset created, List<SnapshotEntry> entries, ChunkCodec codec, byte[]? salt) => new()
    {
        FormatVersion = StoredManifest.CurrentFormat,
        Id = id,
        Deployment = request.Deployment,
        Tier = request.Tier,
        Server = request.Server,
        Volume = request.Volume,
        Created = created,
        EngineVersion = EngineVersion,
        Encryption = codec.IsEncrypted ? new SnapshotEncryption(Convert.ToBase64String(salt!), codec.KeyCheck!) : null,
        Entries = entries,
        TotalBytes = entries.Sum(e => e.Size),
        FileCount = entries.Count(e => e.Kind == SnapshotEntryKind.File),
        ChunkCount = entries.SelectMany(e => e.Chunks ?? []).Distinct(StringComparer.Ordinal).Count(),
    };

    private sealed record PendingChunk(string Id, byte[] Content);

    /// <summary>Counters shared by the reader and the uploaders, and the set of chunk ids known to be stored or on their way.</summary>
    private sealed class RunState(HashSet<string> known, IProgress<BackupProgress>? progress)
    {
        private long _filesRead;
        private long _bytesRead;
        private long _chunksUploaded;
        private long _chunksReused;
        private long _bytesUploaded;

        public long BytesRead => Interlocked.Read(ref _bytesRead);
        public long BytesUploaded => Interlocked.Read(ref _bytesUploaded);
        public long ChunksUploaded => Interlocked.Read(ref _chunksUploaded);
        public long ChunksReused => Interlocked.Read(ref _chunksReused);

        // Only the single reader calls this, so the set needs no lock.
        public async ValueTask OfferAsync(string id, byte[] content, ChannelWriter<PendingChunk> writer, CancellationToken ct)
        {
            Interlocked.Add(ref _bytesRead, content.Length);
            if (known.Add(id))
            {
                await writer.WriteAsync(new PendingChunk(id, content), ct).ConfigureAwait(false);
            }
            else
            {
                Interlocked.Increment(ref _chunksReused);
            }

            Report();
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

        private void Report() => progress?.Report(new BackupProgress(
            Interlocked.Read(ref _filesRead), BytesRead, ChunksUploaded, ChunksReused, BytesUploaded));
    }
}
