namespace Strata.Common.Files;

/// <summary>Folder chores shared by restores and copies that recreate modes from elsewhere.</summary>
public static class FolderTree
{
    /// <summary>
    /// Deletes a folder and everything in it, also where restored or copied modes (a folder of mode 0555) forbid its
    /// owner to delete what is inside: such folders are made writable first. Links are deleted, never followed.
    /// </summary>
    public static void Delete(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var directory in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Prepend(folder))
        {
            if (new DirectoryInfo(directory).LinkTarget is null)
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        Directory.Delete(folder, recursive: true);
    }
}
