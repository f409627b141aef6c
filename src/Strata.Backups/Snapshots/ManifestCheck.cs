using Strata.Storage;

namespace Strata.Backups.Snapshots;

/// <summary>
/// Refuses a manifest that could make a restore write outside its folder or create what a snapshot never records:
/// a path with <c>..</c>, an entry twice, an entry below a symbolic link or a file, an entry whose folder is not
/// restored before it, or (from format 2 on) permission bits beyond 0777.
/// </summary>
internal static class ManifestCheck
{
    /// <summary>The permission bits a restore applies: never setuid, setgid or sticky.</summary>
    public const int PermissionBits = 0b111_111_111;

    /// <exception cref="BackupCorruptException">An entry is unsafe; the message names the manifest and the entry.</exception>
    public static void Validate(SnapshotManifest manifest, string manifestKey)
    {
        var kinds = new Dictionary<string, SnapshotEntryKind>(StringComparer.Ordinal);
        foreach (var entry in manifest.Entries)
        {
            if (Problem(manifest, entry, kinds) is { } problem)
            {
                throw new BackupCorruptException(manifestKey, entry.Path, $"is refused: the entry {problem}");
            }

            kinds[entry.Path] = entry.Kind;
        }
    }

    private static string? Problem(SnapshotManifest manifest, SnapshotEntry entry, Dictionary<string, SnapshotEntryKind> earlier)
    {
        try
        {
            ObjectKey.Validate(entry.Path);
        }
        catch (ArgumentException)
        {
            return "names a path outside the snapshot's folder";
        }

        if (earlier.ContainsKey(entry.Path))
        {
            return "appears twice";
        }

        var slash = entry.Path.LastIndexOf('/');
        if (slash > 0 && Parent(entry.Path[..slash], earlier) is { } parentProblem)
        {
            return parentProblem;
        }

        return entry.Kind switch
        {
            SnapshotEntryKind.File when entry.Chunks is null => "is a file without chunks",
            SnapshotEntryKind.Symlink when string.IsNullOrEmpty(entry.LinkTarget) || entry.LinkTarget.Contains('\0') => "is a symbolic link without a valid target",
            _ when manifest.FormatVersion >= 2 && (entry.Mode & ~PermissionBits) != 0 =>
                $"has mode {Convert.ToString(entry.Mode, 8)}: setuid, setgid and sticky bits are never recorded in a snapshot",
            _ => null,
        };
    }

    private static string? Parent(string parent, Dictionary<string, SnapshotEntryKind> earlier) => earlier.TryGetValue(parent, out var kind)
        ? kind switch
        {
            SnapshotEntryKind.Directory => null,
            SnapshotEntryKind.Symlink => $"is below the symbolic link '{parent}': restoring it would write wherever the link points",
            _ => $"is below the file '{parent}'",
        }
        : $"is below '{parent}', which the snapshot does not restore before it";
}
