using System.Text.Json.Nodes;

namespace Strata.Api.Contracts.Agent;

/// <summary>Control plane to agent: a request, answered by one <see cref="AgentReply"/> whose <c>replyTo</c> is its <see cref="Id"/>.</summary>
public abstract record AgentRequest : AgentMessage
{
    /// <summary>Unique on the channel; the control plane counts from 1.</summary>
    public required long Id { get; init; }
}

/// <summary>Launches a server (or returns the one launched before under its id); answered by <see cref="AgentServerReply"/>.</summary>
public sealed record AgentLaunch : AgentRequest
{
    public required AgentLaunchSpec Server { get; init; }
}

/// <summary>Stops and deletes a server, keeping its volumes; answered by <see cref="AgentDone"/>.</summary>
public sealed record AgentTerminate : AgentRequest
{
    public required string ServerId { get; init; }

    /// <summary>Between SIGTERM and SIGKILL, in milliseconds; null for the engine's default.</summary>
    public long? GraceMs { get; init; }
}

/// <summary>
/// Sent on every connection before the agent's servers are listed or used: stops and deletes (at once, no grace)
/// every server of this agent whose id is not in <see cref="ServerIds"/> (those the control plane replaced while it
/// could not reach the host); answered by <see cref="AgentServersReply"/> with the servers it stopped.
/// </summary>
public sealed record AgentKeepOnly : AgentRequest
{
    public required IReadOnlyList<string> ServerIds { get; init; }
}

/// <summary>Kills every process of a server, keeping its record; answered by <see cref="AgentDone"/>.</summary>
public sealed record AgentFence : AgentRequest
{
    public required string ServerId { get; init; }
}

/// <summary>Lists the host's servers, optionally of one deployment; answered by <see cref="AgentServersReply"/>.</summary>
public sealed record AgentListServers : AgentRequest
{
    public string? Deployment { get; init; }
}

/// <summary>Which of these images (<c>sha256:…</c>) the host lacks; answered by <see cref="AgentImagesReply"/>.</summary>
public sealed record AgentMissingImages : AgentRequest
{
    public required IReadOnlyList<string> ImageIds { get; init; }
}

/// <summary>
/// An image archive is in the upload folder under <see cref="FileName"/>: the agent checks its digest, keeps it in its
/// image store and deletes the upload; answered by <see cref="AgentDone"/>, or <see cref="AgentFailed"/> on a digest mismatch.
/// </summary>
public sealed record AgentImageUploaded : AgentRequest
{
    public required string ImageId { get; init; }

    /// <summary>A plain file name in the agent's upload folder.</summary>
    public required string FileName { get; init; }
}

/// <summary>The last <see cref="Lines"/> lines of a server's log; answered by <see cref="AgentLogReply"/>.</summary>
public sealed record AgentReadLog : AgentRequest
{
    public required string ServerId { get; init; }

    public required int Lines { get; init; }
}

/// <summary>
/// Follows a server's log: its last <see cref="Lines"/> lines, then each line it writes, each sent as an
/// <see cref="AgentLogLine"/> naming this request, until <see cref="AgentStopFollow"/> names it (or the server's log is
/// gone); then answered by <see cref="AgentDone"/>.
/// </summary>
public sealed record AgentFollowLog : AgentRequest
{
    public required string ServerId { get; init; }

    public required int Lines { get; init; }
}

/// <summary>Ends the <see cref="AgentFollowLog"/> whose id is <see cref="Follow"/>; answered by <see cref="AgentDone"/> at once.</summary>
public sealed record AgentStopFollow : AgentRequest
{
    public required long Follow { get; init; }
}

/// <summary>Agent to control plane: the answer to the request <see cref="ReplyTo"/>.</summary>
public abstract record AgentReply : AgentMessage
{
    public required long ReplyTo { get; init; }
}

public sealed record AgentServerReply : AgentReply
{
    public required AgentServer Server { get; init; }
}

public sealed record AgentServersReply : AgentReply
{
    public required IReadOnlyList<AgentServer> Servers { get; init; }

    /// <summary>
    /// A digest of the listing of every server the agent has (see <see cref="AgentHeartbeat.ServersDigest"/>); null for a
    /// listing of one deployment's, or from an older agent.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Digest { get; init; }
}

public sealed record AgentImagesReply : AgentReply
{
    /// <summary>The images asked about that the host does not have.</summary>
    public required IReadOnlyList<string> Missing { get; init; }

    /// <summary>
    /// Free bytes on the disk where the agent keeps images and servers, measured as it answers; null from an agent
    /// that does not say (then nothing is checked before a transfer).
    /// </summary>
    public long? DiskFreeBytes { get; init; }
}

public sealed record AgentLogReply : AgentReply
{
    public required IReadOnlyList<string> Lines { get; init; }
}

public sealed record AgentDone : AgentReply;

/// <summary>The request could not be carried out; <see cref="Error"/> says why.</summary>
public sealed record AgentFailed : AgentReply
{
    public required string Error { get; init; }
}

/// <summary>Agent to control plane: one line of the log followed by the <see cref="AgentFollowLog"/> whose id is <see cref="Follow"/>.</summary>
public sealed record AgentLogLine : AgentMessage
{
    public required long Follow { get; init; }

    public required string Line { get; init; }
}

/// <summary>Agent to control plane, unasked: the run command of a server it launched exited.</summary>
public sealed record AgentServerExited : AgentMessage
{
    public required string Deployment { get; init; }

    public required string ServerId { get; init; }
}

/// <summary>
/// A server to launch, with its commands already resolved by the control plane against the identity the agent's
/// engine gives it (<see cref="RootPath"/>, <see cref="ConfigPath"/>, the host's address and zone); the agent refuses the
/// launch when the identity turns out different.
/// </summary>
public sealed record AgentLaunchSpec
{
    public required string ServerId { get; init; }

    public required string Name { get; init; }

    public required string Deployment { get; init; }

    public required string Tier { get; init; }

    public required string Zone { get; init; }

    public required string ImageId { get; init; }

    public required string ImageName { get; init; }

    public IReadOnlyList<AgentVolumeAttachment> Volumes { get; init; } = [];

    public IReadOnlyList<int> Ports { get; init; } = [];

    public required string RunCommand { get; init; }

    public string? ConfigureCommand { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public JsonObject? Configuration { get; init; }

    /// <summary>The server's root folder the settings were resolved against.</summary>
    public required string RootPath { get; init; }

    /// <summary>The first-boot configuration file the settings were resolved against.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The address the settings were resolved against: the host's.</summary>
    public required string Address { get; init; }

    /// <summary>CPU cores the server reserves on the host; 0 for none.</summary>
    public double Cpu { get; init; }

    /// <summary>Memory in bytes the server reserves on the host; 0 for none.</summary>
    public long MemoryBytes { get; init; }
}

public sealed record AgentVolumeAttachment(string VolumeId, string MountPath);

/// <summary>A server on a host, as the agent's engine observes it.</summary>
public sealed record AgentServer
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Deployment { get; init; }

    public required string Tier { get; init; }

    public required string Zone { get; init; }

    public required string Address { get; init; }

    public required string ImageId { get; init; }

    public required AgentServerState State { get; init; }

    public int? ProcessId { get; init; }

    public long? ProcessStartTime { get; init; }

    public required DateTimeOffset LaunchedAt { get; init; }

    public int? ExitCode { get; init; }

    public string? Message { get; init; }

    public required string RootPath { get; init; }

    public required string LogPath { get; init; }

    public required string ConfigPath { get; init; }

    public IReadOnlyList<AgentVolumeAttachment> Volumes { get; init; } = [];

    /// <summary>The TCP ports the server listens on at the host's address.</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];

    /// <summary>CPU cores the server reserves on the host (0 from an agent older than reservations).</summary>
    public double Cpu { get; init; }

    /// <summary>Memory in bytes the server reserves on the host (0 from an agent older than reservations).</summary>
    public long MemoryBytes { get; init; }
}

/// <summary>A server's life cycle on the wire, by name: pending, configuring, running, stopped, terminated, failed.</summary>
public enum AgentServerState
{
    Pending,
    Configuring,
    Running,
    Stopped,
    Terminated,
    Failed,
}
