using System.Security.Cryptography;

namespace Strata.Backups.Chunking;

/// <summary>
/// AES-256-GCM with a random nonce, stored as nonce (12 bytes), tag (16 bytes), ciphertext. The associated data
/// names what the bytes are (an object key, a position), so that sealed bytes moved elsewhere fail to open.
/// </summary>
internal static class Aead
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = NonceSize + TagSize;

    public static byte[] Seal(byte[] key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var sealedBytes = new byte[Overhead + plaintext.Length];
        Seal(key, plaintext, associatedData, sealedBytes);
        return sealedBytes;
    }

    public static void Seal(byte[] key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        var nonce = destination[..NonceSize];
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, destination.Slice(Overhead, plaintext.Length), destination.Slice(NonceSize, TagSize), associatedData);
    }

    /// <exception cref="InvalidDataException">The bytes are truncated, altered, moved, or sealed under another key.</exception>
    public static byte[] Open(byte[] key, ReadOnlySpan<byte> sealedBytes, ReadOnlySpan<byte> associatedData)
    {
        if (sealedBytes.Length < Overhead)
        {
            throw new InvalidDataException("is truncated");
        }

        var plaintext = new byte[sealedBytes.Length - Overhead];
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(sealedBytes[..NonceSize], sealedBytes[Overhead..], sealedBytes.Slice(NonceSize, TagSize), plaintext, associatedData);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new InvalidDataException("failed authentication: it was altered or moved, or the key is wrong", ex);
        }

        return plaintext;
    }

    /// <summary>
    /// Opens <paramref name="sealedBytes"/> where they lie: the plaintext replaces the ciphertext, at
    /// <see cref="Overhead"/> onwards, so opening needs no second buffer.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are truncated, altered, moved, or sealed under another key.</exception>
    public static void OpenInPlace(byte[] key, Span<byte> sealedBytes, ReadOnlySpan<byte> associatedData)
    {
        if (sealedBytes.Length < Overhead)
        {
            throw new InvalidDataException("is truncated");
        }

        var ciphertext = sealedBytes[Overhead..];
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(sealedBytes[..NonceSize], ciphertext, sealedBytes.Slice(NonceSize, TagSize), ciphertext, associatedData);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new InvalidDataException("failed authentication: it was altered or moved, or the key is wrong", ex);
        }
    }
}
