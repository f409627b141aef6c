using System.Runtime.InteropServices;

namespace Strata.Storage.FileSystem;

/// <summary>Flushes a whole file system with one syncfs(2): every file written there, and every rename, becomes durable.</summary>
internal static class FileSystemSync
{
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000;

    /// <summary>Flushes the file system that holds <paramref name="folder"/>.</summary>
    /// <exception cref="IOException">The folder cannot be opened, or the flush reported an error.</exception>
    public static void Flush(string folder)
    {
        var descriptor = Open(folder, ReadOnly | CloseOnExec);
        if (descriptor < 0)
        {
            throw new IOException($"cannot open the folder '{folder}' to flush its file system (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (SyncFs(descriptor) != 0)
            {
                throw new IOException($"cannot flush the file system of '{folder}' to disk (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static extern int SyncFs(int descriptor);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int descriptor);
}
