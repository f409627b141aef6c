using Strata.Backups.Chunking;

namespace Strata.Backups.Snapshots;

/// <summary>Options of the <see cref="SnapshotEngine"/>.</summary>
public sealed record SnapshotEngineOptions
{
    /// <summary>Chunk sizes.</summary>
    /// <value>The default is 256 KiB minimum, 1 MiB average, 4 MiB maximum.</value>
    public ChunkingOptions Chunking { get; init; } = new();

    /// <summary>
    /// How many chunks are hashed, compressed, encrypted and uploaded (or downloaded and checked) at once. A snapshot
    /// holds at most three times this many chunks in memory, plus one for each file being cut (see
    /// <see cref="FilesAtOnce"/>), each at most <see cref="ChunkingOptions.MaxSize"/>; and two work buffers per uploader
    /// and each file's read buffer of twice <see cref="ChunkingOptions.MaxSize"/> (32 MiB for four files at the default
    /// sizes).
    /// </summary>
    /// <value>The default is twice the processor count, at least 4.</value>
    public int Parallelism { get; init; } = Math.Max(4, Environment.ProcessorCount * 2);

    /// <summary>
    /// How many files a snapshot reads and cuts into chunks at once. Cutting runs over every byte of a changed file
    /// on the thread that reads it; with one reader, a snapshot that reads a few large changed files (and finds most
    /// of their chunks stored already) waits on that one thread while the others have little to do.
    /// </summary>
    /// <value>The default is the processor count, at least 1 and at most 4.</value>
    public int FilesAtOnce { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>
    /// Whether a file whose size, inode, modification time and change time are those recorded in the volume's
    /// newest snapshot is taken from that snapshot's manifest instead of being read again (its chunks must still
    /// be in the store). Turn off to read every file, e.g. on a file system whose times cannot be trusted.
    /// </summary>
    /// <value>The default is true.</value>
    public bool SkipUnchangedFiles { get; init; } = true;

    /// <summary>
    /// Whether restored files are written past the page cache (O_DIRECT) where the file system allows it: the kernel
    /// then neither copies every restored byte nor allocates a page-cache page for it, which on a virtual machine
    /// was most of a restore's CPU time. The restored files are not in the page cache afterwards. Turn off to
    /// write through the page cache, as every file system allows.
    /// </summary>
    /// <value>The default is true.</value>
    public bool DirectRestoreWrites { get; init; } = true;
}
