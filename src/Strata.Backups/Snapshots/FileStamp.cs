using Strata.Common.Files;

namespace Strata.Backups.Snapshots;

/// <summary>
/// What tells that a file is unchanged since a snapshot without reading it, as restic does: its size, inode,
/// modification time and change time. A write changes the modification time and any change of content or
/// metadata (even one that sets the modification time back) changes the change time, which cannot be set.
/// </summary>
internal readonly record struct FileStamp(long Size, long Inode, DateTimeOffset Modified, DateTimeOffset Changed)
{
    public static FileStamp From(FileFacts facts) => new(facts.Size, facts.Inode, facts.Modified, facts.Changed);

    /// <summary>Whether a manifest entry recorded exactly this stamp.</summary>
    public bool Matches(SnapshotEntry entry) =>
        entry.Kind == SnapshotEntryKind.File && entry.Size == Size && entry.Inode == Inode && entry.Modified == Modified && entry.Changed == Changed;
}
