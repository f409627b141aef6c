using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strata.Backups.Chunking;
using Strata.Storage;

namespace Strata.Backups.Snapshots;

/// <summary>The format-1 encrypted manifests a store held when its first sealed manifest was written, MACed with the manifest key.</summary>
internal sealed record AdoptedManifests
{
    public required string KeyCheck { get; init; }

    /// <summary>"object key sha256" per manifest, sorted.</summary>
    public required IReadOnlyList<string> Manifests { get; init; }

    public required string Mac { get; init; }
}

/// <summary>
/// Format-1 manifests of encrypted snapshots were stored in plain text, so anyone who could write to the store could
/// have rearranged them (or written one of their own). They still restore, but only those present when the first
/// sealed manifest was written under the same key: that snapshot records their digests, MACed, in
/// <c>adopted/&lt;key check&gt;.json</c>. Until then (a store no current version has written to) they are trusted as before.
/// </summary>
internal sealed class LegacyManifests(IObjectStore store)
{
    public const string Root = "adopted/";

    public static string KeyOf(string keyCheck) => $"{Root}{keyCheck}.json";

    /// <summary>Records the format-1 manifests of this key, unless that was done before.</summary>
    public async Task AdoptAsync(ChunkCodec codec, CancellationToken ct)
    {
        var key = KeyOf(codec.KeyCheck!);
        if (await store.ExistsAsync(key, ct).ConfigureAwait(false))
        {
            return;
        }

        var found = new List<string>();
        await foreach (var stored in ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (stored.Plain is { FormatVersion: 1, Encryption: { } encryption } && encryption.KeyCheck == codec.KeyCheck)
            {
                found.Add(Digest(stored));
            }
        }

        found.Sort(StringComparer.Ordinal);
        var adopted = new AdoptedManifests { KeyCheck = codec.KeyCheck!, Manifests = found, Mac = Mac(codec, found) };
        await store.PutAsync(key, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(adopted, BackupJsonContext.Default.AdoptedManifests)), ct)
            .ConfigureAwait(false);
    }

    /// <summary>Whether a format-1 encrypted manifest may be restored with this key.</summary>
    /// <exception cref="BackupCorruptException">The record of adopted manifests was altered.</exception>
    public async Task<bool> IsTrustedAsync(StoredManifest manifest, ChunkCodec codec, CancellationToken ct)
    {
        var key = KeyOf(codec.KeyCheck!);
        if (!await store.ExistsAsync(key, ct).ConfigureAwait(false))
        {
            return !await AnySealedAsync(codec.KeyCheck!, ct).ConfigureAwait(false);
        }

        var adopted = JsonSerializer.Deserialize(await ChunkRepository.ReadAllAsync(store, key, ct).ConfigureAwait(false), BackupJsonContext.Default.AdoptedManifests);
        if (adopted is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(adopted.Mac), Convert.FromHexString(Mac(codec, adopted.Manifests))))
        {
            throw new BackupCorruptException(key, null, "failed authentication: the list of snapshots written before manifests were sealed was altered");
        }

        return adopted.Manifests.Contains(Digest(manifest), StringComparer.Ordinal);
    }

    private async Task<bool> AnySealedAsync(string keyCheck, CancellationToken ct)
    {
        await foreach (var stored in ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (stored.Sealed?.Encryption.KeyCheck == keyCheck)
            {
                return true;
            }
        }

        return false;
    }

    private async IAsyncEnumerable<StoredManifest> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var info in store.ListAsync(SnapshotKeys.Root, ct).ConfigureAwait(false))
        {
            if (info.Key.EndsWith(".json", StringComparison.Ordinal))
            {
                yield return StoredManifest.Parse(info.Key, await ChunkRepository.ReadAllAsync(store, info.Key, ct).ConfigureAwait(false));
            }
        }
    }

    private static string Digest(StoredManifest manifest) => $"{manifest.Key} {Convert.ToHexStringLower(SHA256.HashData(manifest.Bytes))}";

    private static string Mac(ChunkCodec codec, IReadOnlyList<string> manifests) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(codec.ManifestKey!, Encoding.UTF8.GetBytes($"strata adopted manifests\n{codec.KeyCheck}\n{string.Join('\n', manifests)}")));
}
