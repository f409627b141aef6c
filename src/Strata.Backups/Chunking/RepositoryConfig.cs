namespace Strata.Backups.Chunking;

/// <summary>The object <c>config.json</c> of a backup store: what every snapshot that uses encryption shares.</summary>
internal sealed record RepositoryConfig
{
    public required int FormatVersion { get; init; }

    /// <summary>The salt from which encryption keys are derived, base64.</summary>
    public required string Salt { get; init; }
}
