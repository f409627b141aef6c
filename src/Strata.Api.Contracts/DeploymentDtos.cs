using System.Text.Json.Serialization;

namespace Strata.Api.Contracts;

/// <summary>Body of <c>PUT /api/v1/deployments/{name}</c> and <c>POST /api/v1/plans</c>.</summary>
public sealed record ApplyRequest
{
    /// <summary>The absolute path of the spec file; image folders are resolved against it.</summary>
    public required string SpecPath { get; init; }

    /// <summary>Parameter values given with <c>--param</c>, a params file or the environment (secrets included).</summary>
    public Dictionary<string, string> Parameters { get; init; } = [];

    /// <summary>A saved plan (the JSON of <c>strata plan --out</c>) to execute exactly, or null to plan afresh.</summary>
    public string? SavedPlan { get; init; }
}

/// <summary>What <c>PUT /api/v1/deployments/{name}</c> accepted.</summary>
public sealed record ApplyResponse
{
    public required string Deployment { get; init; }

    public required long Serial { get; init; }

    /// <summary>The plan being executed, as <c>strata plan --json</c> prints it.</summary>
    public required string PlanJson { get; init; }

    /// <summary>The plan as text, for terminals.</summary>
    public required string PlanText { get; init; }

    /// <summary>
    /// What the spec asks for that the provider will not do, e.g. firewall rules on a provider that cannot enforce
    /// them. The plan still applies; these say what it leaves out.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>Body of <c>POST /api/v1/deployments/{name}/tiers/{tier}/scale</c>.</summary>
public sealed record ScaleRequest(int Desired);

/// <summary>Where a deployment is on its way to matching the spec.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeploymentPhase>))]
public enum DeploymentPhase { Converging, Converged, Degraded, Deleting, AwaitingPromotion }

/// <summary>A deployment as <c>strata status</c> shows it.</summary>
public sealed record DeploymentStatusDto
{
    public required string Name { get; init; }

    public required DeploymentPhase Phase { get; init; }

    public required long Serial { get; init; }

    public string? Message { get; init; }

    /// <summary>Why the deployment was rolled back since the last apply, or null.</summary>
    public string? RolledBack { get; init; }

    public required IReadOnlyList<TierStatusDto> Tiers { get; init; }

    /// <summary>Rolling updates under way, one per tier that has one.</summary>
    public IReadOnlyList<RolloutDto> Rollouts { get; init; } = [];

    public required IReadOnlyList<ServerDto> Servers { get; init; }

    public required IReadOnlyList<LoadBalancerDto> LoadBalancers { get; init; }

    public required IReadOnlyDictionary<string, string> Outputs { get; init; }

    /// <summary>Each backup policy's last backup, last failure and last restore drill.</summary>
    public IReadOnlyList<BackupStatusDto> Backups { get; init; } = [];

    /// <summary>The deployment's volumes, with the snapshot each was restored from when its host was lost.</summary>
    public IReadOnlyList<VolumeStatusDto> Volumes { get; init; } = [];
}

public sealed record VolumeStatusDto
{
    public required string Name { get; init; }

    public required string Tier { get; init; }

    /// <summary>The volume's name in the tier spec.</summary>
    public required string Volume { get; init; }

    /// <summary>The server it is attached to; null while detached (kept for a replacement, or retained).</summary>
    public string? Server { get; init; }

    /// <summary>The snapshot it was restored from in place of a volume on a lost host; null when it was not.</summary>
    public VolumeRecoveryDto? Recovered { get; init; }
}

/// <summary>
/// A volume restored from its newest snapshot in place of one on a lost host. The recovery point is when the snapshot
/// was taken: what the lost volume had gained since is on the lost host only.
/// </summary>
public sealed record VolumeRecoveryDto
{
    public required string Snapshot { get; init; }

    /// <summary><c>primary</c> or <c>dr</c>.</summary>
    public required string Store { get; init; }

    /// <summary>When the snapshot was taken: the recovery point.</summary>
    public required DateTimeOffset RecoveryPoint { get; init; }

    public required DateTimeOffset RestoredAt { get; init; }

    /// <summary>How old the data was when it was restored: <see cref="RestoredAt"/> less <see cref="RecoveryPoint"/>.</summary>
    public required double RecoveryPointAgeSeconds { get; init; }

    public required string LostVolume { get; init; }

    public required string LostHost { get; init; }
}

public sealed record TierStatusDto
{
    public required string Name { get; init; }

    public required int Min { get; init; }

    public required int Max { get; init; }

    public required int Desired { get; init; }

    public required int InService { get; init; }

    /// <summary>Why the tier cannot reach its desired count, e.g. the last launch error.</summary>
    public string? Message { get; init; }
}

public sealed record ServerDto
{
    public required string Name { get; init; }

    public required string Tier { get; init; }

    public required string Zone { get; init; }

    public string? Address { get; init; }

    /// <summary>pending, configuring, booting, inService, unhealthy, terminating, terminated or failed.</summary>
    public required string State { get; init; }

    /// <summary>The server's process id (local provider).</summary>
    public int? Pid { get; init; }

    public required string Image { get; init; }

    public required DateTimeOffset LaunchedAt { get; init; }

    public string? Message { get; init; }
}

public sealed record LoadBalancerDto
{
    public required string Name { get; init; }

    public required string PhysicalName { get; init; }

    public required string Driver { get; init; }

    public string? Url { get; init; }

    /// <summary>
    /// <c>running</c>, <c>stopped</c> or <c>failed</c>; <c>starting</c> until the control plane has started or adopted
    /// it; <c>down</c> when it cannot run now (its host cannot be reached, or no host can take it), with <see cref="Message"/> saying why.
    /// </summary>
    public required string State { get; init; }

    /// <summary>The host it runs on, for a load balancer with placement; null on the control plane's machine.</summary>
    public string? Host { get; init; }

    public int? Pid { get; init; }

    public required IReadOnlyList<string> Members { get; init; }

    public string? Message { get; init; }

    /// <summary>When the TLS certificate expires, for load balancers that terminate TLS.</summary>
    public DateTimeOffset? CertificateNotAfter { get; init; }

    /// <summary>Traffic as last measured: per load balancer and per server.</summary>
    public LoadBalancerTrafficDto? Traffic { get; init; }
}

/// <summary>Requests per second, error rate (5xx and connection failures, %), p50/p99 latency and open connections.</summary>
public sealed record LoadBalancerTrafficDto(double RequestsPerSecond, double ErrorPercent, int OpenConnections, IReadOnlyList<MemberTrafficDto> Members);

public sealed record MemberTrafficDto(string Name, double RequestsPerSecond, double ErrorPercent, double P50Milliseconds, double P99Milliseconds, int OpenConnections, int InFlight, bool Ejected);

/// <summary>A short line per deployment for <c>GET /api/v1/deployments</c>.</summary>
public sealed record DeploymentSummaryDto(string Name, DeploymentPhase Phase, int Servers, int InService, long Serial);

/// <summary>A tier's rolling update: its phase (rolling, awaitingPromotion, rollingBack) and why.</summary>
public sealed record RolloutDto(string Tier, string Phase, DateTimeOffset StartedAt, string FromImage, string ToImage, string? Reason);
