namespace Strata.Backups.Chunking;

/// <summary>Sizes for content-defined chunking. Changing them changes chunk boundaries, so deduplication against older snapshots is lost.</summary>
public sealed record ChunkingOptions
{
    /// <summary>No chunk is smaller than this, except the last one of a file.</summary>
    /// <value>The default is 256 KiB.</value>
    public int MinSize { get; init; } = 256 * 1024;

    /// <summary>The size chunks tend towards; a power of two.</summary>
    /// <value>The default is 1 MiB.</value>
    public int AverageSize { get; init; } = 1024 * 1024;

    /// <summary>No chunk is larger than this.</summary>
    /// <value>The default is 4 MiB.</value>
    public int MaxSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Every problem with these sizes at once; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MinSize < 64)
        {
            problems.Add($"MinSize must be at least 64 bytes (got {MinSize})");
        }

        if (AverageSize <= MinSize || AverageSize >= MaxSize)
        {
            problems.Add($"AverageSize ({AverageSize}) must lie strictly between MinSize ({MinSize}) and MaxSize ({MaxSize})");
        }

        if (!int.IsPow2(AverageSize) || AverageSize < 256)
        {
            problems.Add($"AverageSize must be a power of two of at least 256 (got {AverageSize})");
        }

        return problems;
    }
}
