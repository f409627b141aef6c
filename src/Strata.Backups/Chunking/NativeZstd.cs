using System.Runtime.InteropServices;

namespace Strata.Backups.Chunking;

/// <summary>
/// zstd from the system's libzstd (Debian's libzstd1, which apt and dpkg themselves need), when it loads. At level 1
/// it compresses two to three times faster than the managed port and needs no JIT compilation, which a snapshot
/// taken by a fresh process pays in full. Frames are zstd's format either way, so each reads what the other wrote;
/// where the library is missing <see cref="ChunkCompression"/> uses the managed port.
/// </summary>
internal static partial class NativeZstd
{
    private const string Library = "libzstd.so.1";

    // 1.4.0: the first release with ZSTD_getFrameContentSize and a stable one-shot context API.
    private const uint OldestVersion = 10400;

    // A context keeps its tables between calls and is not thread-safe: one per thread, freed with the thread.
    [ThreadStatic]
    private static CompressionContext? t_compression;

    [ThreadStatic]
    private static DecompressionContext? t_decompression;

    /// <summary>Whether libzstd loaded and is recent enough; false sends every caller to the managed port.</summary>
    public static bool IsAvailable { get; } = Probe();

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/> as one frame that states its content
    /// size; false when the frame does not fit.
    /// </summary>
    public static bool TryCompress(ReadOnlySpan<byte> source, Span<byte> destination, int level, out int written)
    {
        var context = t_compression ??= new CompressionContext();
        var result = ZSTD_compressCCtx(context.Pointer, ref MemoryMarshal.GetReference(destination), (nuint)destination.Length,
            ref MemoryMarshal.GetReference(source), (nuint)source.Length, level);
        var ok = ZSTD_isError(result) == 0;
        written = ok ? (int)result : 0;
        return ok;
    }

    /// <summary>
    /// Decompresses one frame into <paramref name="destination"/>; false, with libzstd's reason, when the frame is
    /// damaged or holds more than the destination.
    /// </summary>
    public static bool TryDecompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written, out string? error)
    {
        var context = t_decompression ??= new DecompressionContext();
        var result = ZSTD_decompressDCtx(context.Pointer, ref MemoryMarshal.GetReference(destination), (nuint)destination.Length,
            ref MemoryMarshal.GetReference(source), (nuint)source.Length);
        var failed = ZSTD_isError(result) != 0;
        written = failed ? 0 : (int)result;
        error = failed ? Marshal.PtrToStringUTF8(ZSTD_getErrorName(result)) : null;
        return !failed;
    }

    private static bool Probe()
    {
        if (!NativeLibrary.TryLoad(Library, typeof(NativeZstd).Assembly, null, out var handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        try
        {
            return ZSTD_versionNumber() >= OldestVersion;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport(Library)]
    private static partial uint ZSTD_versionNumber();

    [LibraryImport(Library)]
    private static partial uint ZSTD_isError(nuint code);

    [LibraryImport(Library)]
    private static partial nint ZSTD_getErrorName(nuint code);

    [LibraryImport(Library)]
    private static partial nint ZSTD_createCCtx();

    [LibraryImport(Library)]
    private static partial nuint ZSTD_freeCCtx(nint context);

    [LibraryImport(Library)]
    private static partial nuint ZSTD_compressCCtx(nint context, ref byte destination, nuint capacity, ref byte source, nuint length, int level);

    [LibraryImport(Library)]
    private static partial nint ZSTD_createDCtx();

    [LibraryImport(Library)]
    private static partial nuint ZSTD_freeDCtx(nint context);

    [LibraryImport(Library)]
    private static partial nuint ZSTD_decompressDCtx(nint context, ref byte destination, nuint capacity, ref byte source, nuint length);

    // Held by thread-static fields: when a thread ends, the finalizer frees its context.
    private sealed class CompressionContext : SafeHandle
    {
        public CompressionContext()
            : base(0, ownsHandle: true)
        {
            var pointer = ZSTD_createCCtx();
            SetHandle(pointer != 0 ? pointer : throw new OutOfMemoryException("libzstd could not create a compression context"));
        }

        public nint Pointer => handle;

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle() => ZSTD_freeCCtx(handle) == 0;
    }

    private sealed class DecompressionContext : SafeHandle
    {
        public DecompressionContext()
            : base(0, ownsHandle: true)
        {
            var pointer = ZSTD_createDCtx();
            SetHandle(pointer != 0 ? pointer : throw new OutOfMemoryException("libzstd could not create a decompression context"));
        }

        public nint Pointer => handle;

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle() => ZSTD_freeDCtx(handle) == 0;
    }
}
