namespace Strata.Spec.Model;

public enum BackupKind { Snapshot, Service }

/// <summary>A backup policy of a tier: volume snapshots or a service backup made by the image's backup hook.</summary>
public sealed record BackupPolicySpec
{
    public required string Name { get; init; }

    public required BackupKind Kind { get; init; }

    /// <summary>The volume snapshotted (snapshot backups).</summary>
    public string? Volume { get; init; }

    /// <summary>A fixed interval between backups, or null when <see cref="Cron"/> is given.</summary>
    public TimeSpan? Every { get; init; }

    public string? Cron { get; init; }

    /// <summary>Keep the last N backups. The default is 7.</summary>
    public int KeepLast { get; init; } = 7;

    public int KeepDaily { get; init; }

    public int KeepWeekly { get; init; }

    /// <summary>A secret parameter whose value encrypts the backup.</summary>
    public string? EncryptionKeyParameter { get; init; }

    /// <summary>How often a restore drill proves the latest backup. Null means never.</summary>
    public TimeSpan? VerifyEvery { get; init; }

    public SourceLocation Location { get; init; }
}
