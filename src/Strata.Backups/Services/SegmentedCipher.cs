using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Strata.Backups.Chunking;

namespace Strata.Backups.Services;

/// <summary>
/// Seals a file of any size in 1 MiB segments with AES-256-GCM, streaming. Each segment's associated data names the
/// object it belongs to, its index and whether it is the last, so segments cannot be reordered, moved to another
/// backup, or cut off at a segment boundary. The last segment is short (possibly empty), every other one full.
/// </summary>
internal static class SegmentedCipher
{
    public const int SegmentSize = 1024 * 1024;

    public static async Task SealAsync(Stream source, Stream target, byte[] key, string objectKey, CancellationToken ct)
    {
        var plain = new byte[SegmentSize];
        var sealedBytes = new byte[SegmentSize + Aead.Overhead];
        for (long index = 0; ; index++)
        {
            var read = await source.ReadAtLeastAsync(plain, SegmentSize, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            var final = read < SegmentSize;
            Aead.Seal(key, plain.AsSpan(0, read), AssociatedData(objectKey, index, final), sealedBytes);
            await target.WriteAsync(sealedBytes.AsMemory(0, read + Aead.Overhead), ct).ConfigureAwait(false);
            if (final)
            {
                return;
            }
        }
    }

    /// <exception cref="InvalidDataException">A segment was altered, moved or cut off, or the key is wrong.</exception>
    public static async Task OpenAsync(Stream source, Stream target, byte[] key, string objectKey, CancellationToken ct)
    {
        var sealedBytes = new byte[SegmentSize + Aead.Overhead];
        for (long index = 0; ; index++)
        {
            var read = await source.ReadAtLeastAsync(sealedBytes, sealedBytes.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            if (read == 0)
            {
                throw new InvalidDataException($"ends after segment {index - 1} without its last segment: it was cut off");
            }

            var final = read < sealedBytes.Length;
            byte[] plain;
            try
            {
                plain = Aead.Open(key, sealedBytes.AsSpan(0, read), AssociatedData(objectKey, index, final));
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"segment {index} {ex.Message}", ex);
            }

            await target.WriteAsync(plain, ct).ConfigureAwait(false);
            if (final)
            {
                return;
            }
        }
    }

    private static byte[] AssociatedData(string objectKey, long index, bool final)
    {
        var name = SHA256.HashData(Encoding.UTF8.GetBytes($"strata service backup 1\n{objectKey}\n"));
        var data = new byte[name.Length + 9];
        name.CopyTo(data, 0);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(name.Length), index);
        data[^1] = final ? (byte)1 : (byte)0;
        return data;
    }
}
