namespace Strata.Backups.Snapshots;

/// <summary>
/// Where a file's chunks lay in the parent snapshot: each chunk's place in the file, length, id and digest, walked
/// once from the start of the file as a changed file is read again. Only a file whose entry records all of them,
/// consistently with its size, has a layout.
/// </summary>
internal sealed class ParentLayout
{
    private readonly IReadOnlyList<string> _ids;
    private readonly IReadOnlyList<int> _lengths;
    private readonly IReadOnlyList<string> _digests;
    private int _next;
    private long _nextStart;

    private ParentLayout(SnapshotEntry entry) =>
        (FileSize, _ids, _lengths, _digests) = (entry.Size, entry.Chunks!, entry.ChunkLengths!, entry.ChunkDigests!);

    /// <summary>The file's size when the parent snapshot read it.</summary>
    public long FileSize { get; }

    public static ParentLayout? Of(SnapshotEntry? entry) =>
        IsConsistent(entry) ? new ParentLayout(entry!) : null;

    /// <summary>Whether the entry is a file whose chunk ids, lengths and digests agree with each other and with its size.</summary>
    public static bool IsConsistent(SnapshotEntry? entry) =>
        entry is { Kind: SnapshotEntryKind.File, Chunks: { } ids, ChunkLengths: { } lengths, ChunkDigests: { } digests }
        && lengths.Count == ids.Count && digests.Count == ids.Count
        && lengths.All(length => length > 0) && lengths.Sum(length => (long)length) == entry.Size;

    /// <summary>
    /// The index of the parent's chunk that started at <paramref name="offset"/>, or null when none did (the file
    /// changed in length before it). Offsets are asked in increasing order.
    /// </summary>
    public int? ChunkAt(long offset)
    {
        while (_next < _ids.Count && _nextStart < offset)
        {
            _nextStart += _lengths[_next];
            _next++;
        }

        return _next < _ids.Count && _nextStart == offset ? _next : null;
    }

    public string Id(int index) => _ids[index];

    public int Length(int index) => _lengths[index];

    public string Digest(int index) => _digests[index];
}
