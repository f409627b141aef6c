namespace Strata.Backups.Chunking;

/// <summary>The object <c>config.json</c> of a backup store: what every snapshot that uses encryption shares.</summary>
internal sealed record RepositoryConfig
{
    /// <summary>1: chunks named by HMAC-SHA256 (<see cref="ChunkIds"/> absent); 2: the algorithm is in <see cref="ChunkIds"/>.</summary>
    public required int FormatVersion { get; init; }

    /// <summary>The salt from which encryption keys are derived, base64.</summary>
    public required string Salt { get; init; }

    /// <summary>How encrypted chunks are named in this store (<see cref="ChunkIdAlgorithm"/>); null for HMAC-SHA256, as stores of format 1.</summary>
    public string? ChunkIds { get; init; }
}
