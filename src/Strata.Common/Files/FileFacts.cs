using System.Runtime.InteropServices;

namespace Strata.Common.Files;

/// <summary>What a path is, as the file system says.</summary>
public enum FileKind
{
    Regular,
    Directory,
    SymbolicLink,

    /// <summary>A pipe, a socket or a device: no content to copy, and opening a pipe waits for a writer.</summary>
    Special,
}

/// <summary>
/// What statx(2) says about a path. .NET's <see cref="FileSystemInfo"/> reports a pipe, a socket or a device as an
/// ordinary file, so whatever copies a folder's content asks here first; the size, inode and times also tell whether
/// a file changed without reading it.
/// </summary>
public readonly partial record struct FileFacts(
    FileKind Kind, long Size, long Inode, uint Owner, UnixFileMode Mode, DateTimeOffset Modified, DateTimeOffset Changed)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;
    private const int NoSuchEntry = 2;
    private const int NotAFolder = 20;

    /// <summary>The facts of a path; a final symbolic link is described itself unless <paramref name="followLinks"/>.</summary>
    /// <exception cref="FileNotFoundException">Nothing is at the path.</exception>
    /// <exception cref="IOException">The path cannot be examined.</exception>
    public static FileFacts Of(string path, bool followLinks = false) =>
        TryOf(path, followLinks) ?? throw new FileNotFoundException($"'{path}' does not exist", path);

    /// <summary>As <see cref="Of"/>, or null when nothing is at the path (it may have been deleted since it was listed).</summary>
    /// <exception cref="IOException">The path cannot be examined for another reason.</exception>
    public static FileFacts? TryOf(string path, bool followLinks = false)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            return error is NoSuchEntry or NotAFolder ? null : throw new IOException($"cannot examine '{path}' (errno {error})");
        }

        // struct statx has one layout on every architecture: stx_uid at 20, stx_mode at 28 (u16), stx_ino at 32,
        // stx_size at 40, stx_ctime at 96 and stx_mtime at 112 (each: s64 seconds, u32 nanoseconds).
        var mode = BitConverter.ToUInt16(buffer[28..]);
        return new FileFacts(
            KindOf(mode),
            BitConverter.ToInt64(buffer[40..]),
            BitConverter.ToInt64(buffer[32..]),
            BitConverter.ToUInt32(buffer[20..]),
            (UnixFileMode)(mode & 0xFFF),
            TimeAt(buffer[112..]),
            TimeAt(buffer[96..]));
    }

    /// <summary>
    /// Opens a file to read, or null when it is gone: a folder in use (a volume) may lose a file, or the folder that
    /// held it, between its listing and its read, and a copy of the folder then goes on without it.
    /// </summary>
    public static FileStream? OpenReadOrNull(string path, FileStreamOptions options)
    {
        try
        {
            return new FileStream(path, options);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static FileKind KindOf(ushort mode) => (mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0xA000 => FileKind.SymbolicLink,
        _ => FileKind.Special,
    };

    // Ticks are 100 ns: finer than that is dropped, as nothing that keeps these times keeps more.
    private static DateTimeOffset TimeAt(ReadOnlySpan<byte> time) =>
        DateTimeOffset.UnixEpoch.AddTicks((BitConverter.ToInt64(time) * TimeSpan.TicksPerSecond) + (BitConverter.ToUInt32(time[8..]) / 100));

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, Span<byte> buffer);
}
