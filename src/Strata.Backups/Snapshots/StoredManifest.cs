using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strata.Backups.Chunking;

namespace Strata.Backups.Snapshots;

/// <summary>
/// The stored form of an encrypted snapshot's manifest: the manifest itself sealed with AES-256-GCM under a key
/// derived from the backup key, so that file names, sizes, modes and times cannot be read or changed. What stays
/// readable is what pruning and replication need without the key: the snapshot's id and the chunk ids it uses
/// (HMACs, which say nothing about content). Both, and the object key, are bound to the ciphertext.
/// </summary>
internal sealed record SealedManifest
{
    public required int FormatVersion { get; init; }
    public required string Id { get; init; }
    public required SnapshotEncryption Encryption { get; init; }
    public required IReadOnlyList<string> Chunks { get; init; }

    /// <summary>nonce, tag and ciphertext, base64.</summary>
    public required string Sealed { get; init; }
}

/// <summary>Only what tells the stored forms apart; every other member is ignored when reading it.</summary>
internal sealed record ManifestHeader
{
    public int FormatVersion { get; init; }
    public string? Sealed { get; init; }
}

/// <summary>A manifest as read from the store, before it is opened: plain JSON (format 1 or 2) or sealed.</summary>
internal sealed record StoredManifest(string Key, byte[] Bytes, SnapshotManifest? Plain, SealedManifest? Sealed)
{
    /// <summary>Manifests written from now on; format 1 recorded modes unmasked and stored encrypted manifests in plain text.</summary>
    public const int CurrentFormat = 2;

    public string Id => Plain?.Id ?? Sealed!.Id;

    public SnapshotEncryption? Encryption => Plain is null ? Sealed!.Encryption : Plain.Encryption;

    public IEnumerable<string> ChunkIds() => Plain?.ChunkIds() ?? Sealed!.Chunks;

    /// <exception cref="BackupCorruptException">The bytes are neither form.</exception>
    public static StoredManifest Parse(string key, byte[] bytes)
    {
        try
        {
            var header = JsonSerializer.Deserialize(bytes, BackupJsonContext.Default.ManifestHeader) ?? throw new JsonException("the manifest is null");
            return header.Sealed is null
                ? new StoredManifest(key, bytes, JsonSerializer.Deserialize(bytes, BackupJsonContext.Default.SnapshotManifest) ?? throw new JsonException("the manifest is null"), null)
                : new StoredManifest(key, bytes, null, JsonSerializer.Deserialize(bytes, BackupJsonContext.Default.SealedManifest) ?? throw new JsonException("the manifest is null"));
        }
        catch (JsonException ex)
        {
            throw new BackupCorruptException(key, null, $"is not a valid snapshot manifest: {ex.Message}", ex);
        }
    }

    /// <summary>The bytes to store for a new manifest: sealed when the codec encrypts, plain JSON otherwise.</summary>
    public static byte[] Write(SnapshotManifest manifest, string key, ChunkCodec codec)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(manifest, BackupJsonContext.Default.SnapshotManifest);
        if (!codec.IsEncrypted)
        {
            return json;
        }

        var chunks = manifest.ChunkIds().Order(StringComparer.Ordinal).ToList();
        var envelope = new SealedManifest
        {
            FormatVersion = manifest.FormatVersion,
            Id = manifest.Id,
            Encryption = manifest.Encryption!,
            Chunks = chunks,
            Sealed = Convert.ToBase64String(Aead.Seal(codec.ManifestKey!, json, AssociatedData(key, manifest.Id, chunks))),
        };
        return JsonSerializer.SerializeToUtf8Bytes(envelope, BackupJsonContext.Default.SealedManifest);
    }

    /// <summary>Opens a sealed manifest with the codec of its key and checks that its readable parts agree with it.</summary>
    /// <exception cref="BackupCorruptException">It fails authentication, or its parts disagree.</exception>
    public SnapshotManifest Open(ChunkCodec codec)
    {
        var envelope = Sealed ?? throw new InvalidOperationException("the manifest is not sealed");
        SnapshotManifest manifest;
        try
        {
            var json = Aead.Open(codec.ManifestKey!, Convert.FromBase64String(envelope.Sealed), AssociatedData(Key, envelope.Id, envelope.Chunks));
            manifest = JsonSerializer.Deserialize(json, BackupJsonContext.Default.SnapshotManifest) ?? throw new JsonException("the manifest is null");
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or JsonException)
        {
            throw new BackupCorruptException(Key, null, $"cannot be opened: {ex.Message}", ex);
        }

        return manifest.Id == envelope.Id && manifest.ChunkIds().Order(StringComparer.Ordinal).SequenceEqual(envelope.Chunks, StringComparer.Ordinal)
            ? manifest with { Encryption = envelope.Encryption }
            : throw new BackupCorruptException(Key, null, "is refused: its sealed content disagrees with its readable id or chunk list");
    }

    /// <summary>What a sealed manifest is bound to: where it is stored, its id and every chunk it uses.</summary>
    private static byte[] AssociatedData(string key, string id, IReadOnlyList<string> chunks)
    {
        var text = new StringBuilder("strata manifest 2\n").Append(key).Append('\n').Append(id).Append('\n');
        foreach (var chunk in chunks)
        {
            text.Append(chunk).Append('\n');
        }

        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }
}
