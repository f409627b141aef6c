using System.Formats.Tar;
using Strata.Common.Files;

namespace Strata.Providers;

/// <summary>
/// A volume's content as one tar stream, to move it between machines: everything under the volume's folder with its
/// modes and times (PAX), and back into a volume folder, which its provider owns and which therefore stays in place.
/// </summary>
public static class VolumeContent
{
    /// <summary>Whether the folder holds anything: an empty volume need not be sent anywhere.</summary>
    public static bool IsEmpty(string folder) => !Directory.EnumerateFileSystemEntries(folder).Any();

    /// <summary>
    /// Writes everything under <paramref name="folder"/> (not the folder itself) to <paramref name="destination"/>.
    /// The folder may be in use: each file is written as long as it was when its entry began (see
    /// <see cref="SizedFileStream"/>), so the archive stays whole while an application appends to its files.
    /// </summary>
    public static async Task WriteAsync(string folder, Stream destination, CancellationToken ct)
    {
        await using var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var (name, item) in FolderWalk.DepthFirst(Path.GetFullPath(folder)))
        {
            if (EntryFor(name, item) is not { } entry)
            {
                continue;
            }

            try
            {
                await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
            }
            finally
            {
                if (entry.DataStream is { } data)
                {
                    await data.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// At least as many bytes as <see cref="WriteAsync"/> writes for the folder as it is now: for each entry a tar
    /// header, a PAX header and its records (the name, the link's target, the time: about 64 bytes more than the names),
    /// and a regular file's data, each padded to a 512-byte block; then the two blocks of the end.
    /// </summary>
    public static long ArchiveBytes(string folder)
    {
        var bytes = 2 * TarBlock;
        foreach (var (name, item) in FolderWalk.DepthFirst(Path.GetFullPath(folder)))
        {
            if (FileFacts.TryOf(item.FullName) is not { } facts)
            {
                continue;
            }

            var records = System.Text.Encoding.UTF8.GetByteCount(name) + System.Text.Encoding.UTF8.GetByteCount(item.LinkTarget ?? "") + 64;
            bytes += (2 * TarBlock) + Padded(records) + (facts.Kind == FileKind.Regular ? Padded(facts.Size) : 0);
        }

        return bytes;
    }

    private const long TarBlock = 512;

    private static long Padded(long bytes) => (bytes + TarBlock - 1) / TarBlock * TarBlock;

    /// <summary>
    /// The entry for one item of a volume in use, as it is now: nothing when it was deleted since its folder was
    /// listed, and nothing for a socket, a pipe or a device, which hold no content (a pipe would block its reader).
    /// </summary>
    private static PaxTarEntry? EntryFor(string name, FileSystemInfo item)
    {
        if (FileFacts.TryOf(item.FullName) is not { } facts)
        {
            return null;
        }

        var (type, entryName) = facts.Kind switch
        {
            FileKind.Directory => (TarEntryType.Directory, name + "/"),
            FileKind.SymbolicLink => (TarEntryType.SymbolicLink, name),
            FileKind.Regular => (TarEntryType.RegularFile, name),
            _ => (default(TarEntryType?), name),
        };
        if (type is null || (type == TarEntryType.SymbolicLink && item.LinkTarget is null))
        {
            return null;
        }

        var entry = new PaxTarEntry(type.Value, entryName) { Mode = facts.Mode, ModificationTime = facts.Modified };
        if (type == TarEntryType.SymbolicLink)
        {
            entry.LinkName = item.LinkTarget!;
        }
        else if (type == TarEntryType.RegularFile)
        {
            entry.DataStream = SizedFileStream.OpenOrNull(item.FullName);
            return entry.DataStream is null ? null : entry;
        }

        return entry;
    }

    /// <summary>
    /// Extracts an archive written by <see cref="WriteAsync"/> into the empty folder <paramref name="folder"/>. The
    /// archive may come from a machine that is not trusted (a host, whose volume its workload writes), so nothing of
    /// it may land outside the folder: a name that is absolute or climbs with <c>..</c>, an entry below a symbolic
    /// link it made, a hard link or a device entry fail the extraction (<see cref="InvalidDataException"/>). Modes
    /// are kept to the permission bits (no setuid, setgid or sticky), and folders get theirs once they are filled.
    /// </summary>
    public static async Task ExtractAsync(Stream archive, string folder, CancellationToken ct)
    {
        var root = Path.GetFullPath(folder);
        var links = new List<string>();
        var folders = new List<(string Path, TarEntry Entry)>();
        await using var reader = new TarReader(archive, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
        {
            if (RelativeName(entry.Name) is not { } relative)
            {
                continue;
            }

            if (links.FirstOrDefault(link => relative.StartsWith(link + "/", StringComparison.Ordinal)) is { } below)
            {
                throw new InvalidDataException($"'{entry.Name}' is below the symbolic link '{below}' of the same archive: refused, it could lead outside the volume");
            }

            var target = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(target);
                    folders.Add((target, entry));
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.Fifo:
                    await entry.ExtractToFileAsync(target, overwrite: false, ct).ConfigureAwait(false);
                    File.SetUnixFileMode(target, entry.Mode & PermissionBits);
                    break;
                case TarEntryType.SymbolicLink:
                    File.CreateSymbolicLink(target, entry.LinkName);
                    links.Add(relative);
                    break;
                default:
                    throw new InvalidDataException($"'{entry.Name}' is a {entry.EntryType} entry, which a volume's content may not hold");
            }
        }

        await EnsureNothingFollowsAsync(archive, ct).ConfigureAwait(false);

        // Deepest first, so that a folder made read-only does not stop its parent's time from being set.
        foreach (var (path, entry) in Enumerable.Reverse(folders))
        {
            File.SetUnixFileMode(path, entry.Mode & PermissionBits);
            Directory.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
        }
    }

    private const UnixFileMode PermissionBits = (UnixFileMode)0b111_111_111;

    /// <summary>
    /// An archive ends with blocks of zeros. An entry whose data runs past its stated size (a file that grew while a
    /// writer copied it) shifts every header after it, and the reader may take a block of the shifted data for the
    /// end: what follows then must not be dropped in silence.
    /// </summary>
    private static async Task EnsureNothingFollowsAsync(Stream archive, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await archive.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
            {
                throw new InvalidDataException("the archive goes on after what reads as its end: it is damaged, and nothing of it is taken");
            }
        }
    }

    /// <summary>The entry's name relative to the volume, or null for the volume itself; refused when it could leave it.</summary>
    private static string? RelativeName(string name)
    {
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (name.StartsWith('/') || parts.Contains(".."))
        {
            throw new InvalidDataException($"'{name}' would land outside the volume: refused");
        }

        return parts.Count == 0 ? null : string.Join('/', parts);
    }

    /// <summary>
    /// Replaces everything in <paramref name="volumePath"/> with the archive's content. The archive is extracted beside
    /// the volume first (as <see cref="ExtractAsync"/> does), so that a damaged one (or an entry that would land
    /// outside it) leaves the volume as it was.
    /// </summary>
    public static async Task ReplaceAsync(string volumePath, string archivePath, CancellationToken ct)
    {
        var staging = StagingFor(volumePath);
        Directory.CreateDirectory(staging);
        try
        {
            await using var archive = File.OpenRead(archivePath);
            await ExtractAsync(archive, staging, ct).ConfigureAwait(false);
        }
        catch
        {
            FolderTree.Delete(staging);
            throw;
        }

        ReplaceContents(volumePath, staging);
    }

    /// <summary>The folder beside a volume that new content is put into before it replaces the volume's.</summary>
    public static string StagingFor(string volumePath) => volumePath.TrimEnd('/') + $".restore-{Guid.NewGuid():N}"[..17];

    /// <summary>Replaces everything in <paramref name="volumePath"/> with the content of <paramref name="staging"/>, then removes the staging folder.</summary>
    public static void ReplaceContents(string volumePath, string staging)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(volumePath).ToList())
        {
            if (IsFolder(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(staging).ToList())
        {
            var target = Path.Combine(volumePath, Path.GetFileName(entry));
            if (IsFolder(entry))
            {
                Directory.Move(entry, target);
            }
            else
            {
                File.Move(entry, target);
            }
        }

        Directory.Delete(staging);
    }

    private static bool IsFolder(string entry) => Directory.Exists(entry) && !new DirectoryInfo(entry).Attributes.HasFlag(FileAttributes.ReparsePoint);
}
