using System.Text.Json.Serialization;

namespace Strata.Api.Contracts.Agent;

/// <summary>
/// One line of the agent protocol: a JSON object per line, with <c>type</c> naming the message, on the SSH channel's
/// stdout (agent to control plane: <c>hello</c>, <c>heartbeat</c>, replies, <c>server-exited</c>, <c>log-line</c>, <c>health</c>) and stdin (control
/// plane to agent: requests, <c>stop</c>). The agent also stops when its stdin ends. A side that reads a type it does not
/// know skips the line and goes on.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(AgentHello), "hello")]
[JsonDerivedType(typeof(AgentHeartbeat), "heartbeat")]
[JsonDerivedType(typeof(AgentRefused), "refused")]
[JsonDerivedType(typeof(AgentStop), "stop")]
[JsonDerivedType(typeof(AgentLaunch), "launch")]
[JsonDerivedType(typeof(AgentTerminate), "terminate")]
[JsonDerivedType(typeof(AgentFence), "fence")]
[JsonDerivedType(typeof(AgentKeepOnly), "keep-only")]
[JsonDerivedType(typeof(AgentListServers), "list-servers")]
[JsonDerivedType(typeof(AgentMissingImages), "missing-images")]
[JsonDerivedType(typeof(AgentImageUploaded), "image-uploaded")]
[JsonDerivedType(typeof(AgentReadLog), "read-log")]
[JsonDerivedType(typeof(AgentFollowLog), "follow-log")]
[JsonDerivedType(typeof(AgentStopFollow), "stop-follow")]
[JsonDerivedType(typeof(AgentCreateVolume), "create-volume")]
[JsonDerivedType(typeof(AgentFillVolume), "fill-volume")]
[JsonDerivedType(typeof(AgentPackVolume), "pack-volume")]
[JsonDerivedType(typeof(AgentDeleteVolume), "delete-volume")]
[JsonDerivedType(typeof(AgentLoadBalancerCall), "load-balancer")]
[JsonDerivedType(typeof(AgentRunCommand), "run-command")]
[JsonDerivedType(typeof(AgentCancelCommand), "cancel-command")]
[JsonDerivedType(typeof(AgentWatchHealth), "watch-health")]
[JsonDerivedType(typeof(AgentUnwatchHealth), "unwatch-health")]
[JsonDerivedType(typeof(AgentServerReply), "server")]
[JsonDerivedType(typeof(AgentServersReply), "servers")]
[JsonDerivedType(typeof(AgentImagesReply), "images")]
[JsonDerivedType(typeof(AgentLogReply), "log")]
[JsonDerivedType(typeof(AgentVolumeReply), "volume")]
[JsonDerivedType(typeof(AgentLoadBalancerReply), "load-balancer-reply")]
[JsonDerivedType(typeof(AgentCommandReply), "command")]
[JsonDerivedType(typeof(AgentDone), "done")]
[JsonDerivedType(typeof(AgentFailed), "failed")]
[JsonDerivedType(typeof(AgentServerExited), "server-exited")]
[JsonDerivedType(typeof(AgentLogLine), "log-line")]
[JsonDerivedType(typeof(AgentHealth), "health")]
public abstract record AgentMessage;

/// <summary>Control plane to agent: finish and exit (the channel is about to close).</summary>
public sealed record AgentStop : AgentMessage;

/// <summary>The agent's first line: who it is and what the host has, measured on the host.</summary>
public sealed record AgentHello : AgentMessage
{
    /// <summary>The agent's version (<c>MAJOR.MINOR.PATCH</c>), which is the version of the Strata that installed it.</summary>
    public required string Version { get; init; }

    /// <summary>
    /// What the agent runs from: <c>sha256:</c> and the SHA-256 of its files' names and hashes, which tells apart two
    /// builds of one version; null from an agent older than builds.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Build { get; init; }

    /// <summary>The host's name as the host itself reports it.</summary>
    public required string Hostname { get; init; }

    /// <summary>Logical CPU cores the agent may use.</summary>
    public required int Cores { get; init; }

    /// <summary>
    /// The running kernel's boot id (<c>/proc/sys/kernel/random/boot_id</c>): hosts that report the same one are
    /// containers or users of one machine and share its cores. Null from an older agent, or where it cannot be read.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BootId { get; init; }

    /// <summary>Total memory, in bytes (<c>MemTotal</c> of <c>/proc/meminfo</c>).</summary>
    public required long MemoryBytes { get; init; }

    /// <summary>Size of the filesystem that holds the agent's folder, in bytes.</summary>
    public required long DiskBytes { get; init; }

    /// <summary>Free space on that filesystem for the agent's user, in bytes.</summary>
    public required long DiskFreeBytes { get; init; }

    /// <summary>The absolute folder of the agent's server engine on the host (servers, volumes, image caches); null from an agent that runs no servers.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EngineRoot { get; init; }

    /// <summary>The absolute folder on the host where the control plane uploads image archives over SFTP before announcing them.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? UploadFolder { get; init; }
}

/// <summary>
/// The agent's only line instead of <see cref="AgentHello"/> when it will not run, e.g. because another agent holds
/// its folder; it exits after sending it.
/// </summary>
public sealed record AgentRefused : AgentMessage
{
    /// <summary>Why, and what to do about it.</summary>
    public required string Reason { get; init; }
}

/// <summary>Sent every heartbeat interval while the agent runs; <see cref="Sequence"/> counts from 1.</summary>
public sealed record AgentHeartbeat : AgentMessage
{
    public required long Sequence { get; init; }

    /// <summary>Free space where the agent keeps images, servers and volumes, in bytes, as it sends the heartbeat; null when it cannot be measured.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? DiskFreeBytes { get; init; }

    /// <summary>
    /// The ids of the <see cref="AgentWatchHealth"/> requests whose checks the agent runs now, in no order: a watch the
    /// control plane counts on and the agent does not run (a request lost in a race, a check that stopped) is asked
    /// again. Null from an agent older than health watches.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<long>? Watching { get; init; }

    /// <summary>
    /// A digest of the listing of every server the agent has, as it would answer one now: a control plane whose last
    /// listing has the same digest knows the host's servers already and need not ask. Null when it could not be taken.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ServersDigest { get; init; }
}

/// <summary>Source-generated JSON for the agent protocol: one compact object per line.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = false, UseStringEnumConverter = true)]
[JsonSerializable(typeof(AgentMessage))]
public sealed partial class AgentJsonContext : JsonSerializerContext;
