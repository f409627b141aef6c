using System.Runtime.InteropServices;

namespace Strata.Common.Files;

/// <summary>
/// Flushes a folder's entries, or the whole file system that holds a folder, to disk. .NET opens no handle on a
/// folder, and a rename is durable only once the folder that holds it is flushed.
/// </summary>
public static partial class FolderSync
{
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000;
    private const int InvalidArgument = 22;

    /// <summary>Flushes <paramref name="folder"/>; a file system that cannot flush folders (EINVAL) is not an error.</summary>
    /// <exception cref="IOException">The folder cannot be opened or flushed.</exception>
    public static void Flush(string folder) => WithFolder(folder, "flush it", descriptor =>
    {
        if (Fsync(descriptor) != 0 && Marshal.GetLastPInvokeError() is var error and not InvalidArgument)
        {
            throw new IOException($"cannot flush the folder '{folder}' to disk (errno {error})");
        }
    });

    /// <summary>
    /// Flushes the whole file system that holds <paramref name="folder"/> with one syncfs(2): every file written there,
    /// and every rename, becomes durable. Far cheaper than a flush per file when many were written.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be opened, or the flush reported an error.</exception>
    public static void FlushFileSystem(string folder) => WithFolder(folder, "flush its file system", descriptor =>
    {
        if (SyncFs(descriptor) != 0)
        {
            throw new IOException($"cannot flush the file system of '{folder}' to disk (errno {Marshal.GetLastPInvokeError()})");
        }
    });

    private static void WithFolder(string folder, string purpose, Action<int> flush)
    {
        var descriptor = Open(folder, ReadOnly | CloseOnExec);
        if (descriptor < 0)
        {
            throw new IOException($"cannot open the folder '{folder}' to {purpose} (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            flush(descriptor);
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
