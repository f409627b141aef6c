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

    /// <summary>Reads and checks one chunk; any problem becomes a <see cref="BackupCorruptException"/> naming the object.</summary>
    public async Task<byte[]> ReadChunkAsync(ChunkCodec codec, string id, string? file, CancellationToken ct)
    {
        var key = ChunkCodec.KeyOf(id);
        byte[] stored;
        try
        {
            stored = await ReadAllAsync(store, key, ct).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException ex)
        {
            throw new BackupCorruptException(key, file, $"is missing from the {store.Name} store", ex);
        }

        try
        {
            return codec.Decode(id, stored);
        }
        catch (InvalidDataException ex)
        {
            throw new BackupCorruptException(key, file, ex.Message, ex);
        }
    }

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

    public static async Task<byte[]> ReadAllAsync(IObjectStore store, string key, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
        var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }
}
