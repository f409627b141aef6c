using System.Runtime.InteropServices;

namespace Strata.Backups.Snapshots;

/// <summary>
/// What tells that a file is unchanged since a snapshot without reading it, as restic does: its size, inode,
/// modification time and change time. A write changes the modification time and any change of content or
/// metadata (even one that sets the modification time back) changes the change time, which cannot be set.
/// </summary>
internal readonly record struct FileStamp(long Size, long Inode, DateTimeOffset Modified, DateTimeOffset Changed)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;

    /// <summary>The stamp of a file, read with statx(2) without following a final symbolic link.</summary>
    /// <exception cref="IOException">The file cannot be examined.</exception>
    public static FileStamp Of(string path)
    {
        var buffer = new byte[StatxSize];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            throw new IOException($"cannot examine '{path}' (errno {Marshal.GetLastPInvokeError()})");
        }

        // struct statx: stx_ino at 32, stx_size at 40, stx_ctime at 96 and stx_mtime at 112 (each: s64 seconds, u32 nanoseconds).
        return new FileStamp(
            BitConverter.ToInt64(buffer, 40), BitConverter.ToInt64(buffer, 32), TimeAt(buffer, 112), TimeAt(buffer, 96));
    }

    /// <summary>Whether a manifest entry recorded exactly this stamp.</summary>
    public bool Matches(SnapshotEntry entry) =>
        entry.Kind == SnapshotEntryKind.File && entry.Size == Size && entry.Inode == Inode && entry.Modified == Modified && entry.Changed == Changed;

    // Ticks are 100 ns: finer than that is dropped, as the manifest's times keep no more.
    private static DateTimeOffset TimeAt(byte[] buffer, int offset) =>
        DateTimeOffset.UnixEpoch.AddTicks((BitConverter.ToInt64(buffer, offset) * TimeSpan.TicksPerSecond) + (BitConverter.ToUInt32(buffer, offset + 8) / 100));

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}
