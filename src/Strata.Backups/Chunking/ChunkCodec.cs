using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Strata.Backups.Chunking;

/// <summary>
/// How a chunk is named and stored. Without a key a chunk's id is the SHA-256 of its content; with a key it is an
/// HMAC-SHA256 under a derived key, so that ids reveal nothing about the content, and the stored bytes are
/// AES-256-GCM ciphertext bound to the id (its associated data), so a chunk stored under another id fails to open.
/// Chunks are shared by every file and snapshot that contains the same bytes, so a chunk cannot be bound to one
/// file or position: the sealed manifest binds each file to its ordered chunk ids instead. Stored layout: one
/// flags byte, then (encrypted) a 12-byte nonce and a 16-byte tag, then the (compressed) content.
/// </summary>
internal sealed class ChunkCodec
{
    public const string ChunkPrefix = "chunks/";

    private const byte Compressed = 1;
    private const byte Encrypted = 2;
    private const int Pbkdf2Iterations = 200_000;
    // Content whose first 64 KiB does not shrink by a tenth is stored as it is: compressing random or already
    // compressed data costs time and gains nothing.
    private const int SampleSize = 64 * 1024;
    private const double WorthwhileRatio = 0.9;

    private readonly byte[]? _encryptionKey;
    private readonly byte[]? _idKey;

    private ChunkCodec(byte[]? encryptionKey, byte[]? idKey, byte[]? manifestKey, byte[]? serviceKey, string? keyCheck, byte[]? salt = null)
    {
        Salt = salt;
        _encryptionKey = encryptionKey;
        _idKey = idKey;
        ManifestKey = manifestKey;
        ServiceBackupKey = serviceKey;
        KeyCheck = keyCheck;
    }

    public static ChunkCodec Plain { get; } = new(null, null, null, null, null);

    /// <summary>The store's salt the keys were derived with, or null without encryption.</summary>
    public byte[]? Salt { get; }

    /// <summary>The key manifests are sealed with (AES-256-GCM), or null without encryption.</summary>
    public byte[]? ManifestKey { get; }

    /// <summary>The key service backup files are sealed with (AES-256-GCM), or null without encryption.</summary>
    public byte[]? ServiceBackupKey { get; }

    public bool IsEncrypted => _encryptionKey is not null;

    /// <summary>A value derived from the key that tells a wrong key from a right one before any chunk is read.</summary>
    public string? KeyCheck { get; }

    public static ChunkCodec WithKey(string secret, byte[] salt)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var master = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(secret), salt, Pbkdf2Iterations, HashAlgorithmName.SHA256, 32);
        var encryption = HKDF.Expand(HashAlgorithmName.SHA256, master, 32, "strata chunk encryption"u8.ToArray());
        var id = HKDF.Expand(HashAlgorithmName.SHA256, master, 32, "strata chunk id"u8.ToArray());
        var check = HKDF.Expand(HashAlgorithmName.SHA256, master, 32, "strata key check"u8.ToArray());
        var manifest = HKDF.Expand(HashAlgorithmName.SHA256, master, 32, "strata manifest"u8.ToArray());
        var service = HKDF.Expand(HashAlgorithmName.SHA256, master, 32, "strata service backup"u8.ToArray());
        return new ChunkCodec(encryption, id, manifest, service, Convert.ToHexStringLower(SHA256.HashData(check)), salt);
    }

    public static string KeyOf(string id) => $"{ChunkPrefix}{id[..2]}/{id}";

    public static string? IdOfKey(string key) =>
        key.StartsWith(ChunkPrefix, StringComparison.Ordinal) && key.LastIndexOf('/') is var slash and > 0 ? key[(slash + 1)..] : null;

    public string IdOf(ReadOnlySpan<byte> content) =>
        Convert.ToHexStringLower(_idKey is null ? SHA256.HashData(content) : HMACSHA256.HashData(_idKey, content));

    public byte[] Encode(string id, ReadOnlySpan<byte> content)
    {
        var compressed = TryCompress(content);
        var body = compressed ?? content;
        var flags = (byte)((compressed is null ? 0 : Compressed) | (_encryptionKey is null ? 0 : Encrypted));
        if (_encryptionKey is null)
        {
            var plain = new byte[1 + body.Length];
            plain[0] = flags;
            body.CopyTo(plain.AsSpan(1));
            return plain;
        }

        var stored = new byte[1 + Aead.Overhead + body.Length];
        stored[0] = flags;
        Aead.Seal(_encryptionKey, body, Encoding.ASCII.GetBytes(id), stored.AsSpan(1));
        return stored;
    }

    /// <summary>
    /// The content of a stored chunk, checked against its id. An encrypted chunk is authenticated before it is
    /// inflated; any chunk that inflates past <paramref name="maxSize"/> bytes (no chunk is written larger) is
    /// refused as soon as it does, so a decompression bomb costs at most that much memory.
    /// </summary>
    /// <exception cref="InvalidDataException">The stored bytes are damaged, or need a key this codec does not have.</exception>
    public byte[] Decode(string id, ReadOnlySpan<byte> stored, int maxSize)
    {
        if (stored.Length == 0 || stored[0] > (Compressed | Encrypted))
        {
            throw new InvalidDataException("has an unknown format");
        }

        var flags = stored[0];
        var body = (flags & Encrypted) != 0 ? Decrypt(id, stored) : stored[1..].ToArray();
        var content = (flags & Compressed) != 0 ? Decompress(body, maxSize) : body;
        if (content.Length > maxSize)
        {
            throw new InvalidDataException($"holds more than {maxSize} bytes, more than any chunk is written with");
        }

        if (IdOf(content) != id)
        {
            throw new InvalidDataException("does not match its checksum");
        }

        return content;
    }

    private byte[] Decrypt(string id, ReadOnlySpan<byte> stored) => _encryptionKey is null
        ? throw new InvalidDataException("is encrypted and no key was given")
        : Aead.Open(_encryptionKey, stored[1..], Encoding.ASCII.GetBytes(id));

    private static byte[]? TryCompress(ReadOnlySpan<byte> content)
    {
        if (content.Length < 64)
        {
            return null;
        }

        if (content.Length > SampleSize && Deflate(content[..SampleSize]).Length > SampleSize * WorthwhileRatio)
        {
            return null;
        }

        var compressed = Deflate(content);
        return compressed.Length < content.Length * WorthwhileRatio ? compressed : null;
    }

    private static byte[] Deflate(ReadOnlySpan<byte> content)
    {
        var output = new MemoryStream(content.Length / 2);
        using (var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(content);
        }

        return output.ToArray();
    }

    private static byte[] Decompress(byte[] body, int maxSize)
    {
        using var deflate = new DeflateStream(new MemoryStream(body), CompressionMode.Decompress);
        var output = new MemoryStream(Math.Min(maxSize, body.Length * 2));
        var buffer = new byte[64 * 1024];
        for (var read = Inflate(deflate, buffer); read > 0; read = Inflate(deflate, buffer))
        {
            if (output.Length + read > maxSize)
            {
                throw new InvalidDataException(
                    $"inflates to more than {maxSize} bytes, more than any chunk is written with (a decompression bomb?); it was not read further");
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    private static int Inflate(DeflateStream deflate, byte[] buffer)
    {
        try
        {
            return deflate.Read(buffer);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException("does not inflate: its compressed data is damaged", ex);
        }
    }
}
