namespace Strata.ControlPlane.Backups;

/// <summary>What is known about one backup policy of a tier: its last backup, its last failure and its last restore drill.</summary>
public sealed record BackupRecord
{
    public required string Deployment { get; init; }

    public required string Tier { get; init; }

    public required string Policy { get; init; }

    /// <summary><c>snapshot</c> or <c>service</c>.</summary>
    public required string Kind { get; init; }

    public string? LastBackupId { get; init; }

    public DateTimeOffset? LastBackupAt { get; init; }

    public long? LastBackupBytes { get; init; }

    /// <summary>When a backup was last attempted, successful or not; schedules count from it.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>Why the last backup or replication failed, or null when the last one succeeded.</summary>
    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>When a restore drill last proved a backup good.</summary>
    public DateTimeOffset? LastVerifiedAt { get; init; }

    public string? LastVerifiedBackupId { get; init; }

    /// <summary>How long the last passing drill's restore took, until the scratch server was healthy.</summary>
    public TimeSpan? LastRestoreDuration { get; init; }

    /// <summary>When the last drill ran, whatever its outcome.</summary>
    public DateTimeOffset? LastDrillAt { get; init; }

    public bool? LastDrillPassed { get; init; }

    public string? LastDrillMessage { get; init; }
}
