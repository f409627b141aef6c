namespace Strata.Providers;

/// <summary>An immutable, content-addressed image that servers are launched from.</summary>
public sealed record MachineImage
{
    /// <summary>The content address, <c>sha256:&lt;64 hex digits&gt;</c>.</summary>
    public required string Id { get; init; }

    /// <summary>A human name, the source folder's name.</summary>
    public required string Name { get; init; }

    /// <summary>The size of the image archive in bytes.</summary>
    public required long SizeBytes { get; init; }

    /// <summary>The folder the image was baked from.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The hex digest part of <see cref="Id"/>.</summary>
    public string Digest => Id.StartsWith(DigestPrefix, StringComparison.Ordinal) ? Id[DigestPrefix.Length..] : Id;

    /// <summary>The prefix of every image id.</summary>
    public const string DigestPrefix = "sha256:";
}
