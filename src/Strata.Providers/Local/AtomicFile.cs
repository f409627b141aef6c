namespace Strata.Providers.Local;

/// <summary>
/// Writes files so that readers see the old or the new content, never a mix, even if the writer dies. There is no
/// fsync: the records guard against a killed control plane (the page cache survives it), and launches stay cheap.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = mode,
            }))
            {
                file.Write(content);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Deletes a folder tree by first renaming it aside, so that nobody sees it half deleted.</summary>
    public static void DeleteFolder(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        var parent = Path.GetDirectoryName(path)!;
        var trash = Path.Combine(parent, $".deleting-{Path.GetFileName(path)}-{Guid.NewGuid():N}");
        Directory.Move(path, trash);
        Directory.Delete(trash, recursive: true);
    }
}
