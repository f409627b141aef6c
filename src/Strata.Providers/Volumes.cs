namespace Strata.Providers;

/// <summary>Asks for a volume.</summary>
public sealed record VolumeRequest
{
    /// <summary>The volume's physical id (lowercase letters, digits, dashes; at most 63 characters), its idempotency key.</summary>
    public required string VolumeId { get; init; }

    /// <summary>The logical name, e.g. <c>data</c>; servers see the volume's path as <c>STRATA_VOLUME_DATA</c>.</summary>
    public required string Name { get; init; }

    public required string Deployment { get; init; }

    /// <summary>The requested size in MiB; providers that cannot enforce it record it.</summary>
    public long? SizeMiB { get; init; }
}

/// <summary>A volume: storage that outlives the servers that attach it.</summary>
public sealed record VolumeInfo
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Deployment { get; init; }

    public long? SizeMiB { get; init; }

    /// <summary>Where the data lives (for the local provider, a folder).</summary>
    public required string Path { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The host the volume is on, where the provider has hosts; null for one on the control plane's machine.</summary>
    public string? Host { get; init; }
}

/// <summary>A point-in-time copy of a volume.</summary>
public sealed record VolumeSnapshot(string Id, string VolumeId, DateTimeOffset CreatedAt);
