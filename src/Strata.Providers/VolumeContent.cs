using System.Formats.Tar;

namespace Strata.Providers;

/// <summary>
/// A volume's content as one tar stream, to move it between machines: everything under the volume's folder with its
/// modes and times (PAX), and back into a volume folder, which its provider owns and which therefore stays in place.
/// </summary>
public static class VolumeContent
{
    /// <summary>Whether the folder holds anything: an empty volume need not be sent anywhere.</summary>
    public static bool IsEmpty(string folder) => !Directory.EnumerateFileSystemEntries(folder).Any();

    /// <summary>Writes everything under <paramref name="folder"/> (not the folder itself) to <paramref name="destination"/>.</summary>
    public static Task WriteAsync(string folder, Stream destination, CancellationToken ct) =>
        TarFile.CreateFromDirectoryAsync(folder, destination, includeBaseDirectory: false, ct);

    /// <summary>
    /// Extracts an archive written by <see cref="WriteAsync"/> into <paramref name="folder"/>; an entry that would land
    /// outside the folder fails the extraction.
    /// </summary>
    public static Task ExtractAsync(Stream archive, string folder, CancellationToken ct) =>
        TarFile.ExtractToDirectoryAsync(archive, folder, overwriteFiles: false, ct);

    /// <summary>
    /// Replaces everything in <paramref name="volumePath"/> with the archive's content. The archive is extracted beside
    /// the volume first, so that a damaged one (or an entry that would land outside it) leaves the volume as it was.
    /// </summary>
    public static async Task ReplaceAsync(string volumePath, string archivePath, CancellationToken ct)
    {
        var staging = StagingFor(volumePath);
        Directory.CreateDirectory(staging);
        try
        {
            await TarFile.ExtractToDirectoryAsync(archivePath, staging, overwriteFiles: false, ct).ConfigureAwait(false);
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
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
