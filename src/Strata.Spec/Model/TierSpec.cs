namespace Strata.Spec.Model;

public enum DeletionPolicy { Delete, Retain, Snapshot }

/// <summary>What a tier's server does when the host that keeps its volume is lost.</summary>
public enum VolumeRecovery
{
    /// <summary>It waits for the host to be back, where its data is.</summary>
    Wait,

    /// <summary>It starts elsewhere on a new volume restored from the newest snapshot (primary store, else the disaster-recovery store).</summary>
    RestoreLatest,
}

/// <summary>The protocol a tier's servers speak on their ports, which load balancers in front of them use.</summary>
public enum TierProtocol
{
    /// <summary>HTTP/1.1 (and WebSockets by <c>Upgrade</c>).</summary>
    Http1,

    /// <summary>HTTP/2 over cleartext with prior knowledge, as gRPC servers speak.</summary>
    H2c,
}

/// <summary>A group of identical servers launched from one image.</summary>
public sealed record TierSpec
{
    public required string Name { get; init; }

    public required string Image { get; init; }

    public required ServerCount Servers { get; init; }

    /// <summary>Ports the servers listen on, by name (a bare list gets names <c>p8000</c>…).</summary>
    public IReadOnlyList<PortSpec> Ports { get; init; } = [];

    public IReadOnlyDictionary<string, Template> Env { get; init; } = new Dictionary<string, Template>();

    public IReadOnlyList<VolumeSpec> Volumes { get; init; } = [];

    public HealthCheckSpec? Health { get; init; }

    public IReadOnlyList<ScalingRuleSpec> Scaling { get; init; } = [];

    public UpdatePolicySpec Update { get; init; } = new();

    /// <summary>How long a dead server stays dead before it is replaced. The default is 0 seconds.</summary>
    public TimeSpan RecoveryDelay { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// How many unhealthy servers of the tier are replaced at once, counting replacements still coming up; the rest stay
    /// out of rotation and keep being probed. Resolved against the desired count and at least 1. The default is 10%.
    /// </summary>
    public CountOrPercent MaxReplacing { get; init; } = DefaultMaxReplacing;

    /// <summary>The default of <see cref="MaxReplacing"/>: 10% of the tier.</summary>
    public static readonly CountOrPercent DefaultMaxReplacing = new(10, true);

    /// <summary>Servers older than this are replaced one at a time. The default is never.</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>What happens to the tier's volumes when it goes away. The default is <see cref="DeletionPolicy.Delete"/>.</summary>
    public DeletionPolicy DeletionPolicy { get; init; } = DeletionPolicy.Delete;

    /// <summary>What a server does when the host that keeps its volume is lost. The default is <see cref="VolumeRecovery.Wait"/>.</summary>
    public VolumeRecovery VolumeRecovery { get; init; } = VolumeRecovery.Wait;

    /// <summary>What the servers speak on their ports. The default is <see cref="TierProtocol.Http1"/>.</summary>
    public TierProtocol Protocol { get; init; } = TierProtocol.Http1;

    public IReadOnlyList<BackupPolicySpec> Backups { get; init; } = [];

    /// <summary>Zones the servers are spread across, round robin. The default is one zone, <c>local-a</c>.</summary>
    public IReadOnlyList<string> Zones { get; init; } = [];

    /// <summary>Where the servers may run when hosts are registered; null when the tier says nothing (<see cref="PlacementSpec.Default"/>).</summary>
    public PlacementSpec? Placement { get; init; }

    /// <summary>What each server reserves on the host it is placed on; null when the tier says nothing (it reserves none).</summary>
    public ResourcesSpec? Resources { get; init; }

    /// <summary>Tiers that must be in service first, besides those found through references.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    public SourceLocation Location { get; init; }
}

/// <summary>How many servers a tier runs: <c>3</c> is min = max = desired = 3.</summary>
public sealed record ServerCount(int Min, int Max, int Desired)
{
    public static ServerCount Fixed(int n) => new(n, n, n);
}

public sealed record PortSpec(string Name, int Port, SourceLocation Location);

public sealed record VolumeSpec
{
    public required string Name { get; init; }

    /// <summary>Size in bytes (written <c>1GiB</c>, <c>500MB</c>).</summary>
    public long SizeBytes { get; init; }

    /// <summary>Where the volume appears, relative to the server's root folder. The default is the volume name.</summary>
    public required string Mount { get; init; }

    /// <summary>A snapshot id the volume is created from instead of empty.</summary>
    public string? RestoreFrom { get; init; }

    /// <summary>Overrides the tier's deletion policy for this volume.</summary>
    public DeletionPolicy? DeletionPolicy { get; init; }

    public SourceLocation Location { get; init; }
}
