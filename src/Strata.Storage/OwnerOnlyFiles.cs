namespace Strata.Storage;

/// <summary>
/// Files and folders only their owner can read, with that mode from the moment they exist: a folder is created with
/// mode 0700; a file is written with <c>AtomicFile</c> and <c>AtomicFileOptions.OwnerOnly</c> (0600).
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
}
