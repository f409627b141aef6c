namespace Strata.ControlPlane.Backups;

/// <summary>Moving a restored snapshot into a volume folder, which the provider owns and which therefore stays in place.</summary>
internal static class VolumeFolders
{
    /// <summary>The folder beside a volume that a snapshot is restored into before it replaces the volume's content.</summary>
    public static string StagingFor(string volumePath) => volumePath.TrimEnd('/') + $".restore-{Guid.NewGuid():N}"[..17];

    /// <summary>Replaces everything in <paramref name="volumePath"/> with the content of <paramref name="staging"/>, then removes the staging folder.</summary>
    public static void ReplaceContents(string volumePath, string staging)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(volumePath).ToList())
        {
            if (Directory.Exists(entry) && !new DirectoryInfo(entry).Attributes.HasFlag(FileAttributes.ReparsePoint))
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
            if (Directory.Exists(entry) && !new DirectoryInfo(entry).Attributes.HasFlag(FileAttributes.ReparsePoint))
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
}
