using Strata.Backups.Chunking;

namespace Strata.Backups.Snapshots;

/// <summary>Options of the <see cref="SnapshotEngine"/>.</summary>
public sealed record SnapshotEngineOptions
{
    /// <summary>Chunk sizes.</summary>
    /// <value>The default is 256 KiB minimum, 1 MiB average, 4 MiB maximum.</value>
    public ChunkingOptions Chunking { get; init; } = new();

    /// <summary>How many chunks are compressed, encrypted and uploaded (or downloaded) at once.</summary>
    /// <value>The default is twice the processor count, at least 4.</value>
    public int Parallelism { get; init; } = Math.Max(4, Environment.ProcessorCount * 2);
}
