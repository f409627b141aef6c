using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Strata.Backups.Snapshots;

/// <summary>
/// A restored file written from start to end past the page cache (O_DIRECT): the device reads the bytes from this
/// process's memory, so the kernel neither copies them nor allocates page-cache pages for them. On this kind of
/// virtual machine a fresh page-cache page costs the host a fault, and that copy was two thirds of a restore's CPU
/// (perf: <c>copy_folio_from_iter_atomic</c>). O_DIRECT wants offsets, lengths and addresses aligned to the
/// device's block: content is gathered in an aligned buffer and written a whole buffer at a time; the last block is
/// written padded and the file then cut to its size.
/// </summary>
internal sealed partial class DirectFile : IDisposable
{
    /// <summary>The alignment O_DIRECT needs on every Linux block device (512 or 4096 bytes).</summary>
    public const int Alignment = 4096;

    private const int WriteOnly = 0x1;
    private const int Create = 0x40;
    private const int Exclusive = 0x80;
    private const int CloseOnExec = 0x80000;
    private const int InvalidArgument = 22;

    private readonly SafeFileHandle _handle;
    private readonly AlignedBuffer _buffer;
    private readonly long _size;
    private int _filled;
    private long _written;

    private DirectFile(SafeFileHandle handle, AlignedBuffer buffer, long size)
    {
        _handle = handle;
        _buffer = buffer;
        _size = size;
    }

    // O_DIRECT's value differs between architectures; elsewhere files are written the usual way.
    private static int DirectFlag => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x4000,
        Architecture.Arm64 => 0x10000,
        _ => 0,
    };

    /// <summary>
    /// Creates <paramref name="path"/> (it must not exist) for <paramref name="size"/> bytes; null when its file
    /// system refuses O_DIRECT, and the caller writes it the usual way.
    /// </summary>
    /// <exception cref="IOException">The file could not be created.</exception>
    public static DirectFile? TryCreate(string path, long size, AlignedBuffer buffer)
    {
        if (DirectFlag == 0)
        {
            return null;
        }

        var fd = Open(path, WriteOnly | Create | Exclusive | CloseOnExec | DirectFlag, Convert.ToInt32("600", 8));
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != InvalidArgument)
            {
                throw new IOException($"cannot create '{path}': {Marshal.GetPInvokeErrorMessage(errno)}");
            }

            // Some file systems (tmpfs before Linux 6.6) refuse O_DIRECT only after creating the file. O_EXCL means a
            // file there now is the one this call created, so it goes, and the caller creates it the usual way.
            File.Delete(path);
            return null;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        // Space for the whole file up front where the file system can, so the writes need not allocate.
        _ = size > 0 ? Fallocate(handle, 0, 0, size) : 0;
        return new DirectFile(handle, buffer, size);
    }

    /// <summary>Adds the next bytes of the file, writing whenever the buffer fills.</summary>
    public void Append(ReadOnlySpan<byte> content)
    {
        while (!content.IsEmpty)
        {
            var space = _buffer.Span.Length - _filled;
            var part = content[..Math.Min(space, content.Length)];
            part.CopyTo(_buffer.Span[_filled..]);
            _filled += part.Length;
            content = content[part.Length..];
            if (_filled == _buffer.Span.Length)
            {
                WriteBuffer(_filled);
            }
        }
    }

    /// <summary>Writes what is left and gives the file exactly the length it was created for.</summary>
    /// <exception cref="IOException">Fewer or more bytes were appended than the file's size.</exception>
    public void Complete()
    {
        if (_written + _filled != _size)
        {
            throw new IOException($"{_written + _filled} bytes were restored for a file of {_size}");
        }

        if (_filled > 0)
        {
            var padded = (_filled + Alignment - 1) / Alignment * Alignment;
            _buffer.Span[_filled..padded].Clear();
            WriteBuffer(padded);
        }

        if (Ftruncate(_handle, _size) != 0)
        {
            throw new IOException($"cannot set the restored file's length: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>The open file, for a look at its flags.</summary>
    internal SafeFileHandle Handle => _handle;

    public void Dispose() => _handle.Dispose();

    private void WriteBuffer(int length)
    {
        var started = StageTimes.Start();
        RandomAccess.Write(_handle, _buffer.Span[..length], _written);
        StageTimes.Stop(BackupStage.FileWrite, started);
        _written += length;
        _filled = 0;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(SafeFileHandle fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(SafeFileHandle fd, long length);
}

/// <summary>
/// A buffer whose address and length are multiples of <see cref="DirectFile.Alignment"/>, in a pinned array (the
/// pinned heap never moves it), reused from file to file.
/// </summary>
internal sealed class AlignedBuffer
{
    private readonly byte[] _array;
    private readonly int _start;
    private readonly int _length;

    public AlignedBuffer(int length)
    {
        _length = (length + DirectFile.Alignment - 1) / DirectFile.Alignment * DirectFile.Alignment;
        _array = GC.AllocateUninitializedArray<byte>(_length + DirectFile.Alignment, pinned: true);
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
        _start = (int)((DirectFile.Alignment - (address % DirectFile.Alignment)) % DirectFile.Alignment);
    }

    public Span<byte> Span => _array.AsSpan(_start, _length);
}
