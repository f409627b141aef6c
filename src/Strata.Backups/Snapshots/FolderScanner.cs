namespace Strata.Backups.Snapshots;

/// <summary>Walks a folder depth-first, names in ordinal order, so that the same tree always yields the same list.</summary>
internal static class FolderScanner
{
    public static IEnumerable<(string Path, FileSystemInfo Info)> Scan(string root)
    {
        var pending = new Stack<(string Relative, DirectoryInfo Folder)>();
        pending.Push(("", new DirectoryInfo(root)));
        while (pending.Count > 0)
        {
            var (relative, folder) = pending.Pop();
            var children = folder.EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            var subfolders = new List<(string, DirectoryInfo)>();
            foreach (var child in children)
            {
                var path = relative.Length == 0 ? child.Name : $"{relative}/{child.Name}";
                yield return (path, child);
                if (child is DirectoryInfo directory && child.LinkTarget is null)
                {
                    subfolders.Add((path, directory));
                }
            }

            // Pushed in reverse so that they are walked in order.
            for (var i = subfolders.Count - 1; i >= 0; i--)
            {
                pending.Push(subfolders[i]);
            }
        }
    }
}
