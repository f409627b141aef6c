namespace Strata.Spec.Model;

/// <summary>Where backups are kept, and the disaster-recovery copy.</summary>
public sealed record StorageSpec
{
    /// <summary>The default is the filesystem store under <c>STRATA_HOME</c>.</summary>
    public StoreSpec? Backups { get; init; }

    /// <summary>Every backup is also copied here when given.</summary>
    public StoreSpec? DisasterRecovery { get; init; }
}

/// <summary>An object store by type (<c>filesystem</c> or <c>s3</c>) and its settings.</summary>
public sealed record StoreSpec
{
    public required string Type { get; init; }

    /// <summary>Settings as written (path, bucket, endpoint, region, prefix, accessKey, secretKey); values may be templates.</summary>
    public IReadOnlyDictionary<string, Template> Settings { get; init; } = new Dictionary<string, Template>();

    public SourceLocation Location { get; init; }
}
