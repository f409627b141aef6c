namespace Strata.Storage;

/// <summary>
/// Files and folders only their owner can read, with that mode from the moment they exist: a file is created with
/// mode 0600 (never written first and restricted after), a folder with 0700.
/// </summary>
public static class OwnerOnlyFiles
{
    public const UnixFileMode FilePermissions = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode FolderPermissions = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> and any missing parents with mode 0700; an existing folder is left as it is.</summary>
    public static void CreateFolder(string path)
    {
        // Directory.CreateDirectory gives the mode to the last folder only; missing parents get the umask's default.
        var full = Path.GetFullPath(path);
        var parent = Path.GetDirectoryName(full);
        if (parent is not null && !Directory.Exists(parent))
        {
            CreateFolder(parent);
        }

        Directory.CreateDirectory(full, FolderPermissions);
    }

    /// <summary>Writes through a temporary file created with mode 0600 and a rename, so a reader never sees half a file.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = OpenNew(temporary))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Creates a new file with mode 0600; fails when it exists.</summary>
    public static FileStream OpenNew(string path, int bufferSize = 4096, bool useAsync = false) => new(path, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.None,
        BufferSize = bufferSize,
        Options = useAsync ? FileOptions.Asynchronous : FileOptions.None,
        UnixCreateMode = FilePermissions,
    });
}
