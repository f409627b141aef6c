namespace Strata.Common.Files;

/// <summary>
/// Walks a folder depth-first, names in ordinal order and each folder before what it holds, so that the same tree
/// always yields the same list. Links to folders are listed, not followed. The folder may be in use: a subfolder
/// deleted while it is walked yields nothing more, so callers look at each entry (<see cref="FileFacts.TryOf"/>)
/// rather than trust that it is still there.
/// </summary>
public static class FolderWalk
{
    /// <summary>Every entry below <paramref name="root"/> (not the root itself), with its <c>/</c>-separated relative path.</summary>
    public static IEnumerable<(string Path, FileSystemInfo Info)> DepthFirst(string root)
    {
        var pending = new Stack<(string Relative, DirectoryInfo Folder)>();
        pending.Push(("", new DirectoryInfo(root)));
        while (pending.Count > 0)
        {
            var (relative, folder) = pending.Pop();
            var subfolders = new List<(string, DirectoryInfo)>();
            foreach (var child in ChildrenOf(folder, isRoot: relative.Length == 0))
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

    private static List<FileSystemInfo> ChildrenOf(DirectoryInfo folder, bool isRoot)
    {
        try
        {
            return folder.EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        }
        catch (IOException) when (!isRoot && FileFacts.TryOf(folder.FullName)?.Kind != FileKind.Directory)
        {
            // Deleted since its parent was listed, or replaced by something that is not a folder.
            return [];
        }
    }
}
