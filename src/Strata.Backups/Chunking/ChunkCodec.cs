using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Strata.Backups.Chunking;

/// <summary>
/// How a chunk is named and stored. Without a key a chunk's id is the SHA-256 of its content; with a key it is an
/// HMAC-SHA256 under a derived key, so that ids reveal nothing about the content, and the stored bytes are
/// AES-256-GCM ciphertext bound to the id (its associated data), so a chunk stored under another id fails to open.
/// Chunks are shared by every file and snapshot that contains the same bytes, so a chunk cannot be bound to one
/// file or position: the sealed manifest binds each file to its ordered chunk ids instead. Stored layout: one
/// flags byte (1 Deflate, 2 encrypted, 4 zstd), then (encrypted) a 12-byte nonce and a 16-byte tag, then the
/// (compressed) content.
/// </summary>
internal sealed class ChunkCodec
{
    public const string ChunkPrefix = "chunks/";

    // Flag bits of the first stored byte. Deflate is only read: stores written before zstd hold such chunks.
    private const byte Deflated = 1;
    private const byte Encrypted = 2;
    private const byte Zstd = 4;
    private const int Pbkdf2Iterations = 200_000;

    private readonly byte[]? _encryptionKey;
    private readonly byte[]? _idKey;
    private readonly byte[]? _digestKey;

    private ChunkCodec(byte[]? encryptionKey, byte[]? idKey, byte[]? manifestKey, byte[]? serviceKey, string? keyCheck, byte[]? salt = null, byte[]? digestKey = null)
    {
        Salt = salt;
        _encryptionKey = encryptionKey;
        _idKey = idKey;
        _digestKey = digestKey;
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
        var digest = HKDF.Expand(HashAlgorithmName.SHA256, master, 64, "strata chunk digest"u8.ToArray());
        return new ChunkCodec(encryption, id, manifest, service, Convert.ToHexStringLower(SHA256.HashData(check)), salt, digest);
    }

    public static string KeyOf(string id) => $"{ChunkPrefix}{id[..2]}/{id}";

    public static string? IdOfKey(string key) =>
        key.StartsWith(ChunkPrefix, StringComparison.Ordinal) && key.LastIndexOf('/') is var slash and > 0 ? key[(slash + 1)..] : null;

    public string IdOf(ReadOnlySpan<byte> content)
    {
        var started = StageTimes.Start();
        var id = Convert.ToHexStringLower(_idKey is null ? SHA256.HashData(content) : HMACSHA256.HashData(_idKey, content));
        StageTimes.Stop(BackupStage.Hash, started);
        return id;
    }

    /// <summary>
    /// A keyed 128-bit digest of a chunk's content, recorded in the (sealed) manifest beside each chunk's id, or
    /// null without a key. It lets the next snapshot of a changed file recognise, at the same place in the file, a
    /// chunk whose bytes did not change without cutting and naming it again. It is GHASH, the universal hash of
    /// AES-GCM (a GMAC under a key of its own, the chunk as associated data, which the processor computes several
    /// times faster than the HMAC that names a chunk), then one AES block under a second key. The nonce is fixed, since
    /// the same bytes must give the same digest; the final block is what makes that safe: a bare fixed-nonce GMAC
    /// is linear in the content, and two digests of known chunks would give its hash key away. Without the keys,
    /// two different chunks (of any size a chunk can have) share a digest with a probability below 2^-100 for each
    /// comparison, whatever their content. Without an encryption key nothing is secret (the store and its chunk ids
    /// can be read), so a writer of the volume could forge a match: no digest is recorded, and changed files are
    /// read whole.
    /// </summary>
    public string? DigestOf(ReadOnlySpan<byte> content)
    {
        if (_digestKey is null)
        {
            return null;
        }

        var started = StageTimes.Start();
        Span<byte> nonce = stackalloc byte[Aead.NonceSize];
        Span<byte> hash = stackalloc byte[Aead.TagSize];
        nonce.Clear();
        using (var gmac = new AesGcm(_digestKey.AsSpan(0, 32), Aead.TagSize))
        {
            gmac.Encrypt(nonce, [], [], hash, content);
        }

        using (var block = Aes.Create())
        {
            block.Key = _digestKey[32..];
            block.EncryptEcb(hash, hash, PaddingMode.None);
        }

        var digest = Convert.ToHexStringLower(hash);
        StageTimes.Stop(BackupStage.Digest, started);
        return digest;
    }

    /// <summary>The most bytes <see cref="Encode"/> writes for content of <paramref name="length"/> bytes.</summary>
    public static int MaxStoredLength(int length) => 1 + Aead.Overhead + length;

    /// <summary>
    /// Writes the stored form of a chunk into <paramref name="destination"/> (at least
    /// <see cref="MaxStoredLength"/> long) and returns its length. <paramref name="scratch"/>, as long as the
    /// content, holds the compressed bytes on their way to encryption.
    /// </summary>
    public int Encode(string id, ReadOnlySpan<byte> content, Span<byte> destination, Span<byte> scratch)
    {
        var compressStarted = StageTimes.Start();
        // Without encryption the compressed bytes go straight to their place; with it they are sealed from scratch.
        var compressInto = _encryptionKey is null ? destination[1..] : scratch;
        var compressed = ChunkCompression.TryCompress(content, compressInto);
        StageTimes.Stop(BackupStage.Compress, compressStarted);
        var body = compressed > 0 ? compressInto[..compressed] : content;
        destination[0] = (byte)((compressed > 0 ? Zstd : 0) | (_encryptionKey is null ? 0 : Encrypted));
        if (_encryptionKey is null)
        {
            if (compressed == 0)
            {
                content.CopyTo(destination[1..]);
            }

            return 1 + body.Length;
        }

        var encryptStarted = StageTimes.Start();
        Aead.Seal(_encryptionKey, body, Encoding.ASCII.GetBytes(id), destination[1..]);
        StageTimes.Stop(BackupStage.Encrypt, encryptStarted);
        return 1 + Aead.Overhead + body.Length;
    }

    /// <summary>
    /// The content of a stored chunk held in <paramref name="stored"/>[..<paramref name="length"/>], an array
    /// rented from <paramref name="pool"/> that the result now owns, checked against its id. An encrypted chunk is
    /// authenticated before it is decompressed, and decrypted where it lies; any chunk that decompresses past
    /// <paramref name="maxSize"/> bytes (no chunk is written larger) is refused as soon as it does, so a
    /// decompression bomb costs at most that much memory.
    /// </summary>
    /// <exception cref="InvalidDataException">The stored bytes are damaged, or need a key this codec does not have.</exception>
    public DecodedChunk Decode(string id, byte[] stored, int length, int maxSize, ArrayPool<byte> pool)
    {
        byte[]? decompressed = null;
        try
        {
            var flags = length == 0 ? (byte)0xFF : stored[0];
            if ((flags & ~(Deflated | Encrypted | Zstd)) != 0 || (flags & (Deflated | Zstd)) == (Deflated | Zstd))
            {
                throw new InvalidDataException("has an unknown format");
            }

            var bodyStart = 1;
            if ((flags & Encrypted) != 0)
            {
                var decryptStarted = StageTimes.Start();
                Aead.OpenInPlace(_encryptionKey ?? throw new InvalidDataException("is encrypted and no key was given"), stored.AsSpan(1, length - 1), Encoding.ASCII.GetBytes(id));
                StageTimes.Stop(BackupStage.Decrypt, decryptStarted);
                bodyStart += Aead.Overhead;
            }

            var decompressStarted = StageTimes.Start();
            var content = bodyStart..length;
            if ((flags & (Zstd | Deflated)) != 0)
            {
                var (array, contentLength) = (flags & Zstd) != 0
                    ? ChunkCompression.Unzstd(stored.AsSpan(content), maxSize, pool)
                    : ChunkCompression.Inflate(new ArraySegment<byte>(stored, bodyStart, length - bodyStart), maxSize, pool);
                (decompressed, content) = (array, 0..contentLength);
            }

            StageTimes.Stop(BackupStage.Decompress, decompressStarted);
            var chunk = new DecodedChunk(pool, stored, decompressed, content);
            if (chunk.Content.Length > maxSize)
            {
                throw new InvalidDataException($"holds more than {maxSize} bytes, more than any chunk is written with");
            }

            return IdOf(chunk.Content.Span) == id ? chunk : throw new InvalidDataException("does not match its checksum");
        }
        catch
        {
            DecodedChunk.Return(pool, stored);
            DecodedChunk.Return(pool, decompressed);
            throw;
        }
    }
}
