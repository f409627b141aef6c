using Strata.Api.Contracts.Agent;
using Strata.Providers.Hosts.Fleet;

namespace Strata.ControlPlane.Hosts;

/// <summary>A registered host as the state store keeps it: how to reach it, and what was last observed of it.</summary>
public sealed record HostRecord
{
    public required HostRegistration Registration { get; init; }

    public required DateTimeOffset AddedAt { get; init; }

    /// <summary>The state last recorded; the fleet's live state wins while this control plane is connected.</summary>
    public HostState State { get; init; } = HostState.Ready;

    /// <summary>The agent's last hello: its version and the host's capacity.</summary>
    public AgentHello? Agent { get; init; }

    public DateTimeOffset? LastHeartbeat { get; init; }

    /// <summary>Kept out of placement until resumed (<c>strata host drain</c>); kept across control-plane restarts.</summary>
    public bool Draining { get; init; }
}

/// <summary>
/// A volume kept on a host: where it is, the tier whose servers attach it, and what its agent said of it once it was created there; <see cref="Volume"/>
/// is null while it is being moved there from the control plane's machine (where it is still whole).
/// </summary>
public sealed record HostVolume(string VolumeId, string Host, string Deployment, string Tier, Providers.VolumeInfo? Volume);

/// <summary>Raised when a host name is taken.</summary>
public sealed class HostExistsException(string name) : Exception($"a host named '{name}' is registered; remove it first (`strata host remove {name}`) or choose another name");

/// <summary>The fleet's inventory, in the state store's database (SQLite for the embedded default).</summary>
public interface IHostInventory
{
    /// <summary>Adds a host; throws <see cref="HostExistsException"/> when the name is taken.</summary>
    Task AddAsync(HostRecord host, CancellationToken ct);

    Task<IReadOnlyList<HostRecord>> ListAsync(CancellationToken ct);

    Task<HostRecord?> FindAsync(string name, CancellationToken ct);

    /// <summary>Records what was observed of a host; false when no host has that name (removed meanwhile).</summary>
    Task<bool> RecordAsync(string name, HostState state, AgentHello? agent, DateTimeOffset? lastHeartbeat, CancellationToken ct);

    /// <summary>Marks the host as draining, or no longer; false when no host has that name.</summary>
    Task<bool> SetDrainingAsync(string name, bool draining, CancellationToken ct);

    /// <summary>Deletes the host; false when none has that name.</summary>
    Task<bool> RemoveAsync(string name, CancellationToken ct);

    /// <summary>Records where a volume is (or is being moved to); replaces what was recorded of it.</summary>
    Task RecordVolumeAsync(HostVolume volume, CancellationToken ct);

    /// <summary>The volumes kept on hosts, by id.</summary>
    Task<IReadOnlyList<HostVolume>> ListVolumesAsync(CancellationToken ct);

    /// <summary>Where the volume is (or is being moved to), or null when it is on no host.</summary>
    Task<HostVolume?> FindVolumeAsync(string volumeId, CancellationToken ct);

    /// <summary>Forgets a volume (deleted, or its host removed); forgetting an unknown one does nothing.</summary>
    Task ForgetVolumeAsync(string volumeId, CancellationToken ct);
}
