using System.Buffers;
using System.IO.Compression;
using ZstdSharp;

namespace Strata.Backups.Chunking;

/// <summary>
/// Compresses chunks with zstd (level 1: several times faster than Deflate here and smaller too) and reads back
/// both zstd and the Deflate chunks that stores written before it hold. zstd runs in the system's libzstd where it
/// loads (<see cref="NativeZstd"/>), otherwise in the managed port; their frames are interchangeable.
/// </summary>
internal static class ChunkCompression
{
    // Content whose first 32 KiB does not shrink by a tenth is stored as it is: compressing random or already
    // compressed data costs time and gains nothing.
    private const int SampleSize = 32 * 1024;
    private const double WorthwhileRatio = 0.9;
    private const int Level = 1;

    // A compressor keeps its tables between calls and is not thread-safe: one per thread.
    [ThreadStatic]
    private static Compressor? t_compressor;

    [ThreadStatic]
    private static Decompressor? t_decompressor;

    /// <summary>
    /// Compresses <paramref name="content"/> into <paramref name="destination"/> (at least as long as the content)
    /// and returns the compressed length, or 0 when compressing would not save a tenth.
    /// </summary>
    public static int TryCompress(ReadOnlySpan<byte> content, Span<byte> destination)
    {
        if (content.Length < 64)
        {
            return 0;
        }

        if (content.Length > SampleSize * 2 &&
            (!TryZstd(content[..SampleSize], destination, out var sampled) || sampled > SampleSize * WorthwhileRatio))
        {
            return 0;
        }

        // Anything that would not fit in nine tenths of the content is not worth keeping.
        var limit = (int)(content.Length * WorthwhileRatio);
        return TryZstd(content, destination[..limit], out var written) ? written : 0;
    }

    private static bool TryZstd(ReadOnlySpan<byte> content, Span<byte> destination, out int written) =>
        NativeZstd.IsAvailable
            ? NativeZstd.TryCompress(content, destination, Level, out written)
            : (t_compressor ??= new Compressor(Level)).TryWrap(content, destination, out written);

    /// <summary>
    /// The content of a zstd frame, decompressed into an array rented from <paramref name="pool"/> (the caller
    /// returns it); refused if the frame declares or holds more than <paramref name="maxSize"/> bytes.
    /// </summary>
    /// <exception cref="InvalidDataException">The frame is damaged or too large.</exception>
    public static (byte[] Array, int Length) Unzstd(ReadOnlySpan<byte> body, int maxSize, ArrayPool<byte> pool)
    {
        byte[]? content = null;
        try
        {
            // Every frame written states its content size; an absent or oversized one is never written.
            var declared = Decompressor.GetDecompressedSize(body);
            if (declared > (ulong)maxSize)
            {
                throw new InvalidDataException(
                    $"does not declare a size within {maxSize} bytes, the most any chunk is written with (a decompression bomb?); it was not decompressed");
            }

            content = pool.Rent((int)declared);
            var written = Unzstd(body, content.AsSpan(0, (int)declared));
            if (written != (int)declared)
            {
                throw new InvalidDataException("does not decompress to the size it declares: its compressed data is damaged");
            }

            return (content, written);
        }
        catch (Exception ex)
        {
            DecodedChunk.Return(pool, content);
            throw ex is ZstdException ? new InvalidDataException($"does not decompress: its compressed data is damaged ({ex.Message})", ex) : ex;
        }
    }

    // The length written, or -1 when the frame holds more than the destination.
    private static int Unzstd(ReadOnlySpan<byte> body, Span<byte> destination)
    {
        if (!NativeZstd.IsAvailable)
        {
            return (t_decompressor ??= new Decompressor()).TryUnwrap(body, destination, out var unwrapped) ? unwrapped : -1;
        }

        return NativeZstd.TryDecompress(body, destination, out var written, out var error)
            ? written
            : throw new InvalidDataException($"does not decompress: its compressed data is damaged ({error})");
    }

    /// <summary>
    /// The content of a Deflate chunk, inflated into an array rented from <paramref name="pool"/> (the caller
    /// returns it), refused as soon as it inflates past <paramref name="maxSize"/> bytes.
    /// </summary>
    /// <exception cref="InvalidDataException">The data is damaged or too large.</exception>
    public static (byte[] Array, int Length) Inflate(ArraySegment<byte> body, int maxSize, ArrayPool<byte> pool)
    {
        using var deflate = new DeflateStream(new MemoryStream(body.Array!, body.Offset, body.Count, writable: false), CompressionMode.Decompress);
        var content = pool.Rent(maxSize);
        try
        {
            var length = 0;
            for (var read = ReadInflated(deflate, content.AsSpan(length, maxSize - length)); read > 0; read = ReadInflated(deflate, content.AsSpan(length, maxSize - length)))
            {
                length += read;
            }

            // Full to the limit: one byte more means the chunk is larger than any that is written.
            Span<byte> probe = stackalloc byte[1];
            if (length == maxSize && ReadInflated(deflate, probe) > 0)
            {
                throw new InvalidDataException(
                    $"inflates to more than {maxSize} bytes, more than any chunk is written with (a decompression bomb?); it was not read further");
            }

            return (content, length);
        }
        catch
        {
            pool.Return(content);
            throw;
        }
    }

    private static int ReadInflated(DeflateStream deflate, Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

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
