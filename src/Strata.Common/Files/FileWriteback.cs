using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Strata.Common.Files;

/// <summary>
/// Asks the kernel to start writing a file's dirty pages to disk now, without waiting for them (sync_file_range(2)
/// with SYNC_FILE_RANGE_WRITE). It makes nothing durable by itself: it lets the disk work while the writer goes on,
/// so that the flush that does make the files durable (fsync, syncfs) later has little left to wait for. A machine
/// with much memory would otherwise keep every page dirty until that flush, and the disk would idle until then.
/// </summary>
internal static partial class FileWriteback
{
    private const uint SyncFileRangeWrite = 2;

    /// <remarks>It may wait while the disk's queue is full: the writer then goes at the disk's pace, which it would reach anyway.</remarks>
    public static void Start(SafeFileHandle file)
    {
        // Held for the call, so that the descriptor cannot be closed and reused under it.
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            // Advisory: a file system that does not support it (or any error) leaves the later flush to do the work.
            _ = SyncFileRange((int)file.DangerousGetHandle(), 0, 0, SyncFileRangeWrite);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range")]
    private static partial int SyncFileRange(int descriptor, long offset, long bytes, uint flags);
}
