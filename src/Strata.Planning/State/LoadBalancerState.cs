using Strata.Spec.Model;

namespace Strata.Planning.State;

/// <summary>A running load balancer and the servers in its pool.</summary>
public sealed record LoadBalancerState
{
    public required string LogicalName { get; init; }

    public required string PhysicalName { get; init; }

    /// <summary>The driver by name, e.g. <c>builtin</c> or <c>haproxy</c>.</summary>
    public required string Driver { get; init; }

    /// <summary>The listen endpoint, <c>host:port</c>.</summary>
    public required string Listen { get; init; }

    public required string TargetTier { get; init; }

    public required int TargetPort { get; init; }

    /// <summary><see cref="SpecDigests.LoadBalancerSettings"/>: settings changed in place.</summary>
    public required string SettingsDigest { get; init; }

    public string? Url { get; init; }

    /// <summary>The host a load balancer with <c>placement</c> was placed on; null for one on the control plane's machine.</summary>
    public string? Host { get; init; }

    /// <summary>The address of <see cref="Host"/>, which the load balancer listens on; null without a host.</summary>
    public string? Address { get; init; }

    /// <summary>
    /// The key QA pins for this load balancer are signed with (base64, 32 bytes), made when the load balancer is first
    /// created. It lives in the state store and the load balancer's own owner-only files, never in a spec or event.
    /// </summary>
    public string? PinKey { get; init; }

    /// <summary>Physical names of the servers currently in the pool.</summary>
    public IReadOnlyList<string> Members { get; init; } = [];

    /// <summary>
    /// This load balancer as <paramref name="spec"/> has it applied: its listen, target and settings, so that the next
    /// plan compares against what was applied. Its driver changes only once the control plane has stopped it under the old one.
    /// </summary>
    public LoadBalancerState AppliedFrom(LoadBalancerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return this with { Listen = spec.Listen, TargetTier = spec.TargetTier, TargetPort = spec.TargetPort, SettingsDigest = SpecDigests.LoadBalancerSettings(spec) };
    }

    /// <summary>The record of a load balancer about to be created: named, keyed, with an empty pool.</summary>
    public static LoadBalancerState Create(LoadBalancerSpec spec, string physicalName, string pinKey)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new()
        {
            LogicalName = spec.Name,
            PhysicalName = physicalName,
            Driver = spec.Driver,
            Listen = spec.Listen,
            TargetTier = spec.TargetTier,
            TargetPort = spec.TargetPort,
            SettingsDigest = SpecDigests.LoadBalancerSettings(spec),
            PinKey = pinKey,
        };
    }
}

/// <summary>A volume: one per server per volume of its tier.</summary>
public sealed record VolumeState
{
    /// <summary>The physical name, <c>deployment-tier-volume-xxxxxx</c>.</summary>
    public required string Name { get; init; }

    public required string Tier { get; init; }

    /// <summary>The volume's name in the tier spec.</summary>
    public required string LogicalName { get; init; }

    /// <summary>The server it is attached to, or null when detached (retained).</summary>
    public string? Server { get; init; }

    /// <summary>
    /// When it was last detached from its server, or null (attached, or detached before this was recorded): a
    /// replacement takes the volume released last, that of the server it replaces, before any older one.
    /// </summary>
    public DateTimeOffset? ReleasedAt { get; init; }

    public long SizeBytes { get; init; }

    public required DeletionPolicy DeletionPolicy { get; init; }

    /// <summary>Where the provider keeps it, e.g. a folder for the local provider.</summary>
    public string? Path { get; init; }

    /// <summary>
    /// The volume on a lost host this new one takes the place of: until it has a <see cref="Path"/>, it is to be
    /// restored from the newest snapshot, and the lost one forgotten, also after a restart.
    /// </summary>
    public string? RecoveringFrom { get; init; }

    /// <summary>The lost host that keeps <see cref="RecoveringFrom"/>.</summary>
    public string? RecoveringFromHost { get; init; }

    /// <summary>The snapshot it was restored from in place of a volume on a lost host, or null when it was not.</summary>
    public LostVolumeRecovery? Recovered { get; init; }
}

/// <summary>
/// A volume restored from its newest snapshot in place of one on a lost host: which snapshot, from which store
/// (<c>primary</c> or <c>dr</c>), when it was taken (the recovery point: what was written after it is lost with the
/// host) and when it was restored, in place of which volume on which host.
/// </summary>
public sealed record LostVolumeRecovery(string Snapshot, string Store, DateTimeOffset TakenAt, DateTimeOffset RestoredAt, string LostVolume, string LostHost);
