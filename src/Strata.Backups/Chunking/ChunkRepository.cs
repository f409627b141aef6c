using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Strata.Storage;

namespace Strata.Backups.Chunking;

/// <summary>Reads and writes chunks and the repository config in one store.</summary>
internal sealed class ChunkRepository(IObjectStore store)
{
    public const string ConfigKey = "config.json";

    public IObjectStore Store => store;

    /// <summary>The ids of every chunk in the store now: one listing instead of a request per chunk.</summary>
    public async Task<HashSet<string>> ListChunkIdsAsync(CancellationToken ct)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var info in store.ListAsync(ChunkCodec.ChunkPrefix, ct).ConfigureAwait(false))
        {
            if (ChunkCodec.IdOfKey(info.Key) is { } id)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>
    /// Reads and checks one chunk into arrays rented from <paramref name="pool"/>, which the caller returns by
    /// disposing the result; any problem becomes a <see cref="BackupCorruptException"/> naming the object.
    /// </summary>
    public async Task<DecodedChunk> ReadChunkAsync(ChunkCodec codec, string id, string? file, int maxChunkSize, ArrayPool<byte> pool, CancellationToken ct)
    {
        var key = ChunkCodec.KeyOf(id);
        (byte[] Array, int Length) stored;
        try
        {
            // Nothing larger is ever written: a chunk is stored as it is when compressing does not shrink it.
            var started = StageTimes.Start();
            stored = await ReadPooledAsync(store, key, ChunkCodec.MaxStoredLength(maxChunkSize), pool, ct).ConfigureAwait(false);
            StageTimes.Stop(BackupStage.StoreRead, started);
        }
        catch (ObjectNotFoundException ex)
        {
            throw new BackupCorruptException(key, file, $"is missing from the {store.Name} store", ex);
        }
        catch (InvalidDataException ex)
        {
            throw new BackupCorruptException(key, file, ex.Message, ex);
        }

        try
        {
            return codec.Decode(id, stored.Array, stored.Length, maxChunkSize, pool);
        }
        catch (InvalidDataException ex)
        {
            throw new BackupCorruptException(key, file, ex.Message, ex);
        }
    }

    /// <summary>
    /// Reads a whole object of at most <paramref name="limit"/> bytes into an array rented from
    /// <paramref name="pool"/>, which the caller returns.
    /// </summary>
    /// <exception cref="InvalidDataException">The object is larger than the limit, or shorter than its stated size.</exception>
    private static async Task<(byte[] Array, int Length)> ReadPooledAsync(IObjectStore store, string key, int limit, ArrayPool<byte> pool, CancellationToken ct)
    {
        // Only chunks are read here, and each is checked whole against its id (and its seal) once read.
        await using var stream = await store.OpenReadCheckedByCallerAsync(key, ct).ConfigureAwait(false);
        // A file states its size: an array of that size and one read. A response stream is read up to the limit.
        var size = stream.CanSeek ? stream.Length : limit;
        if (size > limit)
        {
            throw new InvalidDataException(TooLarge(limit));
        }

        var array = pool.Rent((int)size);
        try
        {
            var length = await stream.ReadAtLeastAsync(array.AsMemory(0, (int)size), (int)size, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            if (stream.CanSeek ? length != size : length == limit && await stream.ReadAsync(new byte[1], ct).ConfigureAwait(false) > 0)
            {
                throw new InvalidDataException(stream.CanSeek ? "ended before its stated size" : TooLarge(limit));
            }

            return (array, length);
        }
        catch
        {
            pool.Return(array);
            throw;
        }
    }

    private static string TooLarge(long limit) => $"is larger than {limit} bytes, more than any such object is written with";

    /// <summary>The repository's key-derivation salt, created on first use.</summary>
    public async Task<byte[]> GetOrCreateSaltAsync(CancellationToken ct)
    {
        if (await store.ExistsAsync(ConfigKey, ct).ConfigureAwait(false))
        {
            var existing = JsonSerializer.Deserialize(await ReadAllAsync(store, ConfigKey, ct).ConfigureAwait(false), BackupJsonContext.Default.RepositoryConfig)
                ?? throw new BackupFailedException($"'{ConfigKey}' in the {store.Name} store is empty");
            return Convert.FromBase64String(existing.Salt);
        }

        var config = new RepositoryConfig { FormatVersion = 1, Salt = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        await store.PutAsync(ConfigKey, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(config, BackupJsonContext.Default.RepositoryConfig)), ct)
            .ConfigureAwait(false);
        return Convert.FromBase64String(config.Salt);
    }

    /// <summary>Reads a whole object, refusing one larger than <paramref name="limit"/> bytes as soon as it is.</summary>
    /// <exception cref="InvalidDataException">The object is larger than the limit.</exception>
    public static async Task<byte[]> ReadAllAsync(IObjectStore store, string key, CancellationToken ct, long limit = long.MaxValue)
    {
        await using var stream = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
        if (stream.CanSeek)
        {
            // A file: read at once into an array of its size, instead of growing a copy 64 KiB at a time.
            var length = stream.Length;
            if (length > limit)
            {
                throw new InvalidDataException(TooLarge(limit));
            }

            var whole = new byte[length];
            try
            {
                await stream.ReadExactlyAsync(whole, ct).ConfigureAwait(false);
            }
            catch (EndOfStreamException ex)
            {
                throw new InvalidDataException("ended before its stated size", ex);
            }

            return whole;
        }

        var output = new MemoryStream();
        var buffer = new byte[64 * 1024];
        for (var read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false); read > 0; read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false))
        {
            if (output.Length + read > limit)
            {
                throw new InvalidDataException(TooLarge(limit));
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }
}
