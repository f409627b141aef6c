using System.Buffers;

namespace Strata.Backups.Chunking;

/// <summary>
/// The checked content of one chunk, held in arrays rented from a pool: the stored bytes (decrypted where they lay)
/// and, for a compressed chunk, the array it was decompressed into. Disposing returns both, so a restore reuses a
/// few arrays instead of allocating two or three new ones per chunk.
/// </summary>
internal sealed class DecodedChunk : IDisposable
{
    private readonly ArrayPool<byte> _pool;
    private byte[]? _stored;
    private byte[]? _decompressed;

    public DecodedChunk(ArrayPool<byte> pool, byte[] stored, byte[]? decompressed, Range content)
    {
        _pool = pool;
        _stored = stored;
        _decompressed = decompressed;
        Content = (decompressed ?? stored).AsMemory(content);
    }

    /// <summary>The chunk's content; valid until the chunk is disposed.</summary>
    public ReadOnlyMemory<byte> Content { get; }

    public void Dispose()
    {
        Return(_pool, Interlocked.Exchange(ref _stored, null));
        Return(_pool, Interlocked.Exchange(ref _decompressed, null));
    }

    public static void Return(ArrayPool<byte> pool, byte[]? array)
    {
        if (array is not null)
        {
            pool.Return(array);
        }
    }
}
