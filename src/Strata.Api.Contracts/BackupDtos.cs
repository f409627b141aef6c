using System.Text.Json.Serialization;

namespace Strata.Api.Contracts;

/// <summary>A backup in the deployment's stores.</summary>
public sealed record BackupDto
{
    public required string Id { get; init; }

    /// <summary><c>snapshot</c> or <c>service</c>.</summary>
    public required string Kind { get; init; }

    public required string Tier { get; init; }

    public string? Policy { get; init; }

    public string? Volume { get; init; }

    public required string Server { get; init; }

    public string? Image { get; init; }

    public required DateTimeOffset Created { get; init; }

    /// <summary>For snapshots the bytes of the volume's files; for service backups the size of the file.</summary>
    public required long Bytes { get; init; }

    public string? Sha256 { get; init; }

    public bool Encrypted { get; init; }

    /// <summary>Which stores hold a complete copy: <c>primary</c>, <c>dr</c>.</summary>
    public required IReadOnlyList<string> Stores { get; init; }
}

public sealed record BackupListDto(IReadOnlyList<BackupDto> Backups);

/// <summary>The body of <c>POST /deployments/{name}/restore</c>: exactly one of <see cref="Snapshot"/> and <see cref="Backup"/>.</summary>
public sealed record RestoreRequest
{
    public required string Tier { get; init; }

    public string? Snapshot { get; init; }

    public string? Backup { get; init; }

    /// <summary><c>primary</c> (the default) or <c>dr</c>.</summary>
    public string? From { get; init; }

    /// <summary>
    /// The deployment whose backup it is, when not this one: a store shared by several deployments never restores
    /// another deployment's data unless the request names it.
    /// </summary>
    public string? FromDeployment { get; init; }
}

public sealed record BackupProgressDto(long FilesRead, long BytesRead, long ChunksUploaded, long ChunksReused, long BytesUploaded);

public sealed record RestoreResultDto(string Tier, string Kind, string Id, string Store, string Server, double DurationSeconds);

public sealed record DrillResultDto(string Tier, string Policy, string Kind, string? BackupId, bool Passed, double RestoreSeconds, string Message);

/// <summary>
/// The outcome of <c>strata drill region</c>: whether the scratch copy came back outside the region and served, the
/// recovery time (seconds from the drill's start to serving; null when it failed) and the recovery point (how old the
/// oldest restored snapshot was, in seconds; null without one), and what ran where.
/// </summary>
public sealed record RegionDrillResultDto
{
    public required string Deployment { get; init; }

    public required string Region { get; init; }

    public required bool Passed { get; init; }

    public required string Message { get; init; }

    public double? RecoveryTimeSeconds { get; init; }

    public double? RecoveryPointSeconds { get; init; }

    public IReadOnlyList<RegionDrillServerDto> Servers { get; init; } = [];

    public IReadOnlyList<RegionDrillVolumeDto> Volumes { get; init; } = [];

    public IReadOnlyList<RegionDrillLoadBalancerDto> LoadBalancers { get; init; } = [];
}

/// <summary>A scratch server of a region drill: where it ran and how long its tier took to be healthy.</summary>
public sealed record RegionDrillServerDto(string Tier, string Name, string? Host, string Zone, string? Region, string Address, double HealthySeconds);

/// <summary>A scratch volume of a region drill and the disaster-recovery snapshot it was filled from (null: it started empty).</summary>
public sealed record RegionDrillVolumeDto(string Tier, string Volume, string Server, string? Snapshot, DateTimeOffset? TakenAt);

/// <summary>A scratch load balancer of a region drill, the host it ran on (null: the control plane's machine) and the status it answered.</summary>
public sealed record RegionDrillLoadBalancerDto(string Name, string Url, string? Host, int StatusCode);

/// <summary>
/// One line of the NDJSON answer of a backup, restore or drill: <c>waiting</c> while a backup waits for a backup or
/// restore of its tier under way, <c>progress</c> while data moves, then one <c>backup</c>, <c>restore</c> or
/// <c>drill</c> line per result, and an <c>error</c> line if it failed.
/// </summary>
public sealed record BackupStreamLine
{
    public required string Type { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BackupProgressDto? Progress { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BackupDto? Backup { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RestoreResultDto? Restore { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DrillResultDto? Drill { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RegionDrillResultDto? RegionDrill { get; init; }

    /// <summary>A step of a region drill as it is taken, e.g. <c>tier db: starting 1 server outside region eu</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Step { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    /// <summary>What the backup waits for before it starts, e.g. <c>a restore from snapshot … of tier db is under way; …</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Waiting { get; init; }
}

/// <summary>One backup policy in the status document: its last backup, last failure and last restore drill.</summary>
public sealed record BackupStatusDto
{
    public required string Tier { get; init; }

    public required string Policy { get; init; }

    public required string Kind { get; init; }

    public string? LastBackupId { get; init; }

    public DateTimeOffset? LastBackupAt { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>When a restore drill last proved a backup good, and which.</summary>
    public DateTimeOffset? LastVerifiedAt { get; init; }

    public string? LastVerifiedBackupId { get; init; }

    /// <summary>How long that drill's restore took, in seconds.</summary>
    public double? LastRestoreSeconds { get; init; }

    public bool? LastDrillPassed { get; init; }

    public string? LastDrillMessage { get; init; }
}

/// <summary>Source-generated JSON for the backup endpoints.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, UseStringEnumConverter = true, WriteIndented = false)]
[JsonSerializable(typeof(BackupListDto))]
[JsonSerializable(typeof(RestoreRequest))]
[JsonSerializable(typeof(BackupStreamLine))]
[JsonSerializable(typeof(BackupStatusDto))]
public sealed partial class BackupJsonContext : JsonSerializerContext;
