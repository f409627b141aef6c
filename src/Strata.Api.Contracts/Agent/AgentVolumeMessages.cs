namespace Strata.Api.Contracts.Agent;

/// <summary>Creates a volume on the host, or returns the one created before under its id; answered by <see cref="AgentVolumeReply"/>.</summary>
public sealed record AgentCreateVolume : AgentRequest
{
    public required string VolumeId { get; init; }

    /// <summary>The logical name, e.g. <c>data</c>.</summary>
    public required string Name { get; init; }

    public required string Deployment { get; init; }

    public long? SizeMiB { get; init; }
}

/// <summary>
/// A tar archive of a volume's content is in the upload folder under <see cref="FileName"/>: the agent replaces the
/// volume's content with it and deletes the upload either way; answered by <see cref="AgentDone"/>. The volume must
/// exist and no running server may have it attached.
/// </summary>
public sealed record AgentFillVolume : AgentRequest
{
    public required string VolumeId { get; init; }

    /// <summary>A plain file name in the agent's upload folder.</summary>
    public required string FileName { get; init; }
}

/// <summary>
/// Writes a tar archive of a volume's content to the upload folder under <see cref="FileName"/>, for the control plane
/// to read (and delete) there; answered by <see cref="AgentDone"/>. An archive that could not be written whole is
/// deleted. The volume may be in use: what is read is what the files hold as the archive is written.
/// </summary>
public sealed record AgentPackVolume : AgentRequest
{
    public required string VolumeId { get; init; }

    /// <summary>A plain file name in the agent's upload folder.</summary>
    public required string FileName { get; init; }
}

/// <summary>Deletes a volume and its data (an unknown one is nothing to delete); answered by <see cref="AgentDone"/>.</summary>
public sealed record AgentDeleteVolume : AgentRequest
{
    public required string VolumeId { get; init; }
}

public sealed record AgentVolumeReply : AgentReply
{
    public required AgentVolume Volume { get; init; }
}

/// <summary>A volume on a host: a folder there, which outlives the servers that attach it.</summary>
public sealed record AgentVolume
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Deployment { get; init; }

    public long? SizeMiB { get; init; }

    /// <summary>The volume's folder on the host.</summary>
    public required string Path { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}
