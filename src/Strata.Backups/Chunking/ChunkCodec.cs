using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Strata.Backups.Chunking;

/// <summary>
/// How a chunk is named and stored. Without a key a chunk's id is the SHA-256 of its content; with a key it is an
/// HMAC-SHA256 under a derived key, so that ids reveal nothing about the content, and the stored bytes are
/// AES-256-GCM ciphertext bound to the id. Stored layout: one flags byte, then (encrypted) a 12-byte nonce and a
/// 16-byte tag, then the (compressed) content.
/// </summary>
internal sealed class ChunkCodec
{
    public const string ChunkPrefix = "chunks/";

    private const byte Compressed = 1;
    private const byte Encrypted = 2;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int Pbkdf2Iterations = 200_000;
    // Content whose first 64 KiB does not shrink by a tenth is stored as it is: compressing random or already
    // compressed data costs time and gains nothing.
    private const int SampleSize = 64 * 1024;
    private const double WorthwhileRatio = 0.9;

    private readonly byte[]? _encryptionKey;
    private readonly byte[]? _idKey;

    private ChunkCodec(byte[]? encryptionKey, byte[]? idKey, string? keyCheck)
    {
        _encryptionKey = encryptionKey;
        _idKey = idKey;
        KeyCheck = keyCheck;
    }

    public static ChunkCodec Plain { get; } = new(null, null, null);

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
        return new ChunkCodec(encryption, id, Convert.ToHexStringLower(SHA256.HashData(check)));
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

        var stored = new byte[1 + NonceSize + TagSize + body.Length];
        stored[0] = flags;
        var nonce = stored.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_encryptionKey, TagSize);
        aes.Encrypt(nonce, body, stored.AsSpan(1 + NonceSize + TagSize), stored.AsSpan(1 + NonceSize, TagSize), Encoding.ASCII.GetBytes(id));
        return stored;
    }

    /// <summary>The content of a stored chunk, checked against its id.</summary>
    /// <exception cref="InvalidDataException">The stored bytes are damaged, or need a key this codec does not have.</exception>
    public byte[] Decode(string id, ReadOnlySpan<byte> stored)
    {
        if (stored.Length == 0 || stored[0] > (Compressed | Encrypted))
        {
            throw new InvalidDataException("has an unknown format");
        }

        var flags = stored[0];
        var body = (flags & Encrypted) != 0 ? Decrypt(id, stored) : stored[1..].ToArray();
        var content = (flags & Compressed) != 0 ? Decompress(body) : body;
        if (IdOf(content) != id)
        {
            throw new InvalidDataException("does not match its checksum");
        }

        return content;
    }

    private byte[] Decrypt(string id, ReadOnlySpan<byte> stored)
    {
        if (_encryptionKey is null)
        {
            throw new InvalidDataException("is encrypted and no key was given");
        }

        if (stored.Length < 1 + NonceSize + TagSize)
        {
            throw new InvalidDataException("is truncated");
        }

        var body = new byte[stored.Length - 1 - NonceSize - TagSize];
        using var aes = new AesGcm(_encryptionKey, TagSize);
        try
        {
            aes.Decrypt(stored.Slice(1, NonceSize), stored[(1 + NonceSize + TagSize)..], stored.Slice(1 + NonceSize, TagSize), body, Encoding.ASCII.GetBytes(id));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new InvalidDataException("failed authentication: it was altered, or the key is wrong", ex);
        }

        return body;
    }

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

    private static byte[] Decompress(byte[] body)
    {
        using var deflate = new DeflateStream(new MemoryStream(body), CompressionMode.Decompress);
        var output = new MemoryStream(body.Length * 2);
        deflate.CopyTo(output);
        return output.ToArray();
    }
}
