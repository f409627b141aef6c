using System.Buffers;
using System.Threading.Channels;
using Strata.Backups.Chunking;
using Strata.Storage;

namespace Strata.Backups.Snapshots;

/// <summary>
/// Takes one snapshot: one reader cuts files into chunks (taking files unchanged since the parent snapshot from
/// its manifest), several uploaders name, compress, encrypt and store the chunks the store does not have yet, the
/// chunks are flushed to disk together, and the manifest is written last.
/// </summary>
internal sealed class SnapshotWriter(ChunkRepository repository, SnapshotReader reader, SnapshotEngineOptions options, TimeProvider time)
{
    // 2: zstd chunks, which strata-backups/1 cannot read, and file stamps (inode, change time) in the manifest.
    public const string EngineVersion = "strata-backups/2";

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
            var parent = await ParentEntriesAsync(request, ct).ConfigureAwait(false);
            // Bounded: the channel holds Parallelism * 2 chunks and each uploader one more, none larger than MaxSize.
            var buffers = ArrayPool<byte>.Create(ChunkCodec.MaxStoredLength(options.Chunking.MaxSize), (options.Parallelism * 4) + 4);
            var state = new SnapshotRun(await repository.ListChunkIdsAsync(ct).ConfigureAwait(false), buffers, progress);
            var entries = await ReadAndUploadAsync(request, codec, state, parent, ct).ConfigureAwait(false);
            var manifestStarted = StageTimes.Start();
            await EnsureReusedChunksStillExistAsync(entries, state, ct).ConfigureAwait(false);
            // Every chunk is on disk before the manifest that names it is written.
            if (repository.Store is IFlushableObjectStore flushable)
            {
                await flushable.FlushAsync(ct).ConfigureAwait(false);
            }

            var manifest = BuildManifest(request, id, created, entries, codec, salt, options.Chunking);
            var manifestKey = SnapshotKeys.Manifest(request.Deployment, request.Tier, request.Volume, id);
            if (codec.IsEncrypted)
            {
                await new LegacyManifests(repository.Store).AdoptAsync(codec, ct).ConfigureAwait(false);
            }

            var json = StoredManifest.Write(manifest, manifestKey, codec);
            await repository.Store.PutAsync(manifestKey, new MemoryStream(json), ct).ConfigureAwait(false);
            StageTimes.Stop(BackupStage.Manifest, manifestStarted);
            return new SnapshotResult(
                manifest, manifestKey, state.BytesRead, state.BytesUploaded + json.Length, (int)state.ChunksUploaded,
                (int)state.ChunksReused, time.GetElapsedTime(started)) { BytesMatched = state.BytesMatched };
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

    /// <summary>
    /// The entries of the volume's newest snapshot by path, when it opens with this request's key; otherwise none,
    /// and every file is read.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, SnapshotEntry>> ParentEntriesAsync(SnapshotRequest request, CancellationToken ct)
    {
        var none = new Dictionary<string, SnapshotEntry>();
        if (!options.SkipUnchangedFiles)
        {
            return none;
        }

        string? newest = null;
        var prefix = new SnapshotFilter(request.Deployment, request.Tier, request.Volume).Prefix();
        await foreach (var info in repository.Store.ListAsync(prefix, ct).ConfigureAwait(false))
        {
            newest = info.Key.EndsWith(".json", StringComparison.Ordinal) ? info.Key : newest;
        }

        try
        {
            var parent = newest is null ? null : await reader.OpenAsync(await reader.ReadStoredAsync(newest, ct).ConfigureAwait(false), request.EncryptionKey, ct).ConfigureAwait(false);
            // Cut with other sizes, its chunks are not where this snapshot would cut: none is matched by its place.
            var sameCut = parent?.Chunking == options.Chunking;
            return parent?.Entries.ToDictionary(e => e.Path, e => sameCut ? e : e with { ChunkDigests = null }, StringComparer.Ordinal) ?? none;
        }
        catch (Exception ex) when (ex is BackupFailedException or BackupCorruptException or ObjectNotFoundException)
        {
            // Taken with another key, or unreadable: this snapshot reads everything, as a first one does.
            return none;
        }
    }

    private async Task<List<SnapshotEntry>> ReadAndUploadAsync(
        SnapshotRequest request, ChunkCodec codec, SnapshotRun state, IReadOnlyDictionary<string, SnapshotEntry> parent, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateBounded<PendingChunk>(options.Parallelism * 2);
        var uploaders = Enumerable.Range(0, options.Parallelism)
            .Select(_ => Task.Run(() => UploadLoopAsync(channel.Reader, codec, state, cts), CancellationToken.None))
            .ToList();
        var folderReader = new FolderReader(_chunker, codec, state, channel.Writer, options.FilesAtOnce);
        var reading = Task.Run(() => FreezeReadThawAsync(request, () => folderReader.ReadAsync(request.Folder, parent, cts.Token), channel.Writer, cts), CancellationToken.None);
        List<Task> all = [reading, .. uploaders];
        await Task.WhenAll(all).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (all.FirstOrDefault(t => t.IsFaulted && t.Exception!.InnerException is not OperationCanceledException) is { } failed)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed.Exception!.InnerException!);
        }

        ct.ThrowIfCancellationRequested();
        await Task.WhenAll(all).ConfigureAwait(false);
        // Every uploader has finished, so every chunk has its id.
        return (await reading.ConfigureAwait(false)).ConvertAll(draft => draft.Complete());
    }

    private static async Task<List<EntryDraft>> FreezeReadThawAsync(
        SnapshotRequest request, Func<Task<List<EntryDraft>>> read, ChannelWriter<PendingChunk> writer, CancellationTokenSource cts)
    {
        try
        {
            if (request.Freeze is not null)
            {
                await request.Freeze(cts.Token).ConfigureAwait(false);
            }

            try
            {
                return await read().ConfigureAwait(false);
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

    private async Task UploadLoopAsync(ChannelReader<PendingChunk> chunks, ChunkCodec codec, SnapshotRun state, CancellationTokenSource cts)
    {
        var flushable = repository.Store as IFlushableObjectStore;
        var stored = state.Buffers.Rent(ChunkCodec.MaxStoredLength(options.Chunking.MaxSize));
        var scratch = state.Buffers.Rent(options.Chunking.MaxSize);
        try
        {
            await foreach (var chunk in chunks.ReadAllAsync(cts.Token).ConfigureAwait(false))
            {
                var content = chunk.Buffer.AsMemory(0, chunk.Length);
                chunk.Id = codec.IdOf(content.Span);
                chunk.Digest = codec.DigestOf(content.Span);
                if (state.Claim(chunk.Id))
                {
                    var length = codec.Encode(chunk.Id, content.Span, stored, scratch);
                    var putStarted = StageTimes.Start();
                    var body = new MemoryStream(stored, 0, length, writable: false);
                    // Flushed all at once before the manifest is written, where the store can.
                    await (flushable is null
                        ? repository.Store.PutAsync(ChunkCodec.KeyOf(chunk.Id), body, cts.Token)
                        : flushable.PutUnflushedAsync(ChunkCodec.KeyOf(chunk.Id), body, cts.Token)).ConfigureAwait(false);
                    StageTimes.Stop(BackupStage.StoreWrite, putStarted);
                    state.Uploaded(length);
                }

                state.Buffers.Return(chunk.Buffer!);
                chunk.Buffer = null;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await cts.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            state.Buffers.Return(stored);
            state.Buffers.Return(scratch);
        }
    }

    /// <summary>
    /// A prune running alongside may have deleted a chunk this snapshot found and reused; writing a manifest that
    /// names a deleted chunk would be a silently broken snapshot, so this is checked (one listing) first.
    /// </summary>
    private async Task EnsureReusedChunksStillExistAsync(List<SnapshotEntry> entries, SnapshotRun state, CancellationToken ct)
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
        SnapshotRequest request, string id, DateTimeOffset created, List<SnapshotEntry> entries, ChunkCodec codec, byte[]? salt, ChunkingOptions chunking) => new()
    {
        FormatVersion = StoredManifest.CurrentFormat,
        Id = id,
        Deployment = request.Deployment,
        Tier = request.Tier,
        Server = request.Server,
        Volume = request.Volume,
        Created = created,
        EngineVersion = EngineVersion,
        Chunking = chunking,
        Encryption = codec.IsEncrypted ? new SnapshotEncryption(Convert.ToBase64String(salt!), codec.KeyCheck!) : null,
        Entries = entries,
        TotalBytes = entries.Sum(e => e.Size),
        FileCount = entries.Count(e => e.Kind == SnapshotEntryKind.File),
        ChunkCount = entries.SelectMany(e => e.Chunks ?? []).Distinct(StringComparer.Ordinal).Count(),
    };
}
