using System.Formats.Tar;

namespace Strata.Providers.Local;

/// <summary>
/// Writes a folder as a deterministic tar: entries sorted by path, times, owners and groups zeroed, and only the
/// executable bit of the mode kept, so that the same content always yields the same bytes and hence the same digest.
/// </summary>
internal static class ImageArchive
{
    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const UnixFileMode Plain = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static async Task WriteAsync(string folder, Stream destination, CancellationToken ct)
    {
        // GNU format: PAX headers embed the writer's process id in their names, which would break determinism.
        await using var writer = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true);
        foreach (var (relative, info) in Entries(folder))
        {
            ct.ThrowIfCancellationRequested();
            var entry = info switch
            {
                _ when info.LinkTarget is not null => new GnuTarEntry(TarEntryType.SymbolicLink, relative) { LinkName = info.LinkTarget },
                DirectoryInfo => new GnuTarEntry(TarEntryType.Directory, relative + "/") { Mode = Executable },
                _ => new GnuTarEntry(TarEntryType.RegularFile, relative) { Mode = (info.UnixFileMode & AnyExecute) != 0 ? Executable : Plain },
            };
            entry.ModificationTime = DateTimeOffset.UnixEpoch;
            entry.Uid = 0;
            entry.Gid = 0;
            entry.UserName = "";
            entry.GroupName = "";
            if (entry.EntryType == TarEntryType.RegularFile)
            {
                await using var content = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
                entry.DataStream = content;
                await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
                continue;
            }

            await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
        }
    }

    private static IEnumerable<(string Relative, FileSystemInfo Info)> Entries(string folder)
    {
        var root = new DirectoryInfo(folder);
        return root.EnumerateFileSystemInfos("*", new EnumerationOptions
            {
                RecurseSubdirectories = true,
                AttributesToSkip = 0,
                IgnoreInaccessible = false,
                ReturnSpecialDirectories = false,
            })
            .Select(info => (Relative: Path.GetRelativePath(root.FullName, info.FullName).Replace(Path.DirectorySeparatorChar, '/'), Info: info))
            .OrderBy(e => e.Relative, StringComparer.Ordinal);
    }
}
