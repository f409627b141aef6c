using System.Text.Json.Serialization;

namespace Strata.Api.Contracts;

/// <summary>Body of <c>POST /api/v1/hosts</c>: register a host, reach it over SSH and start its agent.</summary>
public sealed record HostAddRequest
{
    /// <summary>Letters, digits, '.', '_' and '-', starting with a letter or digit; 1 to 63 of them.</summary>
    public required string Name { get; init; }

    /// <summary><c>USER@ADDRESS[:PORT]</c>.</summary>
    public required string Ssh { get; init; }

    /// <summary>An absolute path, on the control plane's machine, of the private key to log in with; null for the first of <c>~/.ssh/id_ed25519</c>, <c>id_ecdsa</c>, <c>id_rsa</c>.</summary>
    public string? Identity { get; init; }

    /// <summary>Where the agent lives on the host; null for <c>~/.strata-agent</c>.</summary>
    public string? AgentDir { get; init; }

    /// <summary>The <c>dotnet</c> that runs the agent on the host; null for <c>dotnet</c> on the login's PATH.</summary>
    public string? AgentRuntime { get; init; }

    public string? Zone { get; init; }

    public string? Region { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>Trust the host key the host offers when none is recorded for it (never a changed one).</summary>
    public bool AcceptNewHostKey { get; init; }
}

/// <summary>What the host's agent measured there.</summary>
public sealed record HostCapacityDto
{
    public required int Cores { get; init; }

    public required long MemoryBytes { get; init; }

    public required long DiskBytes { get; init; }

    public required long DiskFreeBytes { get; init; }
}

/// <summary>What the servers on a host reserve there (their tiers' <c>resources</c>), beside its <see cref="HostCapacityDto"/>.</summary>
public sealed record HostUseDto
{
    /// <summary>CPU cores reserved, of <see cref="HostCapacityDto.Cores"/>.</summary>
    public double Cpu { get; init; }

    /// <summary>Memory reserved in bytes, of <see cref="HostCapacityDto.MemoryBytes"/>.</summary>
    public long MemoryBytes { get; init; }
}

/// <summary>A host as <c>GET /api/v1/hosts</c> lists it.</summary>
public sealed record HostDto
{
    public required string Name { get; init; }

    /// <summary><c>USER@ADDRESS:PORT</c>.</summary>
    public required string Ssh { get; init; }

    public required string Address { get; init; }

    /// <summary>The host's zone: the one it was added with, or <c>default</c>, where its servers then are.</summary>
    public string? Zone { get; init; }

    public string? Region { get; init; }

    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    /// <summary><c>ready</c>, <c>draining</c>, <c>unreachable</c> or <c>lost</c>.</summary>
    public required string State { get; init; }

    /// <summary>True while the control plane's SSH channel to the agent is open.</summary>
    public required bool Connected { get; init; }

    public string? AgentVersion { get; init; }

    /// <summary>The build the agent runs from (<c>sha256:…</c> of its files), which tells two builds of one version apart; null until it said hello.</summary>
    public string? AgentBuild { get; init; }

    public DateTimeOffset? LastHeartbeat { get; init; }

    /// <summary>Null until the agent has said hello.</summary>
    public HostCapacityDto? Capacity { get; init; }

    /// <summary>The servers on the host (not failed or terminated), as its agent last listed them.</summary>
    public int Servers { get; init; }

    /// <summary>What the servers on the host reserve; zero for both when none of their tiers says <c>resources</c>.</summary>
    public HostUseDto Use { get; init; } = new();

    public required DateTimeOffset AddedAt { get; init; }

    /// <summary>While the host drains (<c>strata host drain</c>): the servers still on it; null when it does not drain.</summary>
    public HostDrainDto? Drain { get; init; }
}

/// <summary>
/// How a host's drain stands: the servers still on it, each moved elsewhere once its replacement serves (or, for one
/// that keeps volumes, stopped so that its replacement starts elsewhere with them), and the volumes still on it that
/// move with such a replacement.
/// </summary>
public sealed record HostDrainDto
{
    public required IReadOnlyList<HostDrainServerDto> Servers { get; init; }

    public IReadOnlyList<HostDrainVolumeDto> Volumes { get; init; } = [];

    /// <summary>The load balancers with placement still on the host: each moves to another host that matches it.</summary>
    public IReadOnlyList<HostDrainLoadBalancerDto> LoadBalancers { get; init; } = [];
}

/// <summary>A load balancer still on a draining host.</summary>
public sealed record HostDrainLoadBalancerDto
{
    public required string Deployment { get; init; }

    /// <summary>Its name in the spec, e.g. <c>front</c>.</summary>
    public required string LoadBalancer { get; init; }

    /// <summary>Why it cannot be moved now (no other host matches its placement with its port free); null while it moves.</summary>
    public string? Blocked { get; init; }
}

/// <summary>
/// A volume still on a draining host whose server has stopped there, which moves to the host its replacement is
/// placed on; or one no server holds, which moves by itself (<see cref="Idle"/>).
/// </summary>
public sealed record HostDrainVolumeDto
{
    public required string Deployment { get; init; }

    public required string Tier { get; init; }

    public required string Volume { get; init; }

    /// <summary>The server that takes it on another host, once it is attached to one.</summary>
    public string? Server { get; init; }

    /// <summary>
    /// No server holds it, nor is one to (retained by a scale-in, or of a tier that starts none now): it is copied by
    /// itself to a host where a server of its tier could start.
    /// </summary>
    public bool Idle { get; init; }

    /// <summary>Why it cannot be moved now (its tier's <c>no capacity: …</c>); null while it moves.</summary>
    public string? Blocked { get; init; }
}

/// <summary>A server still on a draining host.</summary>
public sealed record HostDrainServerDto
{
    public required string Deployment { get; init; }

    public required string Tier { get; init; }

    public required string Server { get; init; }

    /// <summary>Why it cannot be moved now (its tier's <c>no capacity: …</c>, no other host can take it); null while it moves.</summary>
    public string? Blocked { get; init; }

    /// <summary>It keeps volumes on the host: it stops before its replacement starts elsewhere with them.</summary>
    public bool KeepsVolumes { get; init; }
}

/// <summary>Source-generated JSON for the hosts API.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = false)]
[JsonSerializable(typeof(HostAddRequest))]
[JsonSerializable(typeof(HostDto))]
[JsonSerializable(typeof(IReadOnlyList<HostDto>))]
public sealed partial class HostJsonContext : JsonSerializerContext;
