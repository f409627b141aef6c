namespace Strata.Providers.Local;

/// <summary>Copies a folder tree, keeping modes and symbolic links.</summary>
internal static class DirectoryTree
{
    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="destination"/>. Files are copied, not hard-linked: servers
    /// may write to them and must not change the cached image. File.Copy lets the kernel clone or copy in-kernel.
    /// </summary>
    public static void Copy(string source, string destination)
    {
        var from = new DirectoryInfo(source);
        Directory.CreateDirectory(destination, from.UnixFileMode);
        foreach (var entry in from.EnumerateFileSystemInfos())
        {
            var target = Path.Combine(destination, entry.Name);
            switch (entry)
            {
                case { LinkTarget: { } link }:
                    File.CreateSymbolicLink(target, link);
                    break;
                case DirectoryInfo directory:
                    Copy(directory.FullName, target);
                    break;
                default:
                    File.Copy(entry.FullName, target);
                    break;
            }
        }
    }
}
