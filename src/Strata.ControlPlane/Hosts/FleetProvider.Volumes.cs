using System.Collections.Immutable;
using Strata.Providers;
using Strata.Providers.Hosts.Agent;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Placement;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Volumes once hosts may be registered. A volume lives where its server runs: created on the control plane's machine
/// (where a snapshot it starts from is restored into it), it is moved to the host its first server is placed on, and
/// from then on every server that attaches it is placed on that host, which the inventory records across restarts.
/// A volume leaves its host only when the host drains: the server that holds it stops, and the volume is copied to
/// the host its replacement is placed on; one no server holds is copied to a host its tier may use. A server whose
/// volume is on a host that is down waits for the host.
/// </summary>
internal sealed partial class FleetProvider
{
    public async Task<VolumeInfo> CreateVolumeAsync(VolumeRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        // One being moved (no record of the host's yet) is still whole on the control plane's machine.
        return await FindVolumeAsync(request.VolumeId, ct).ConfigureAwait(false) is { Volume: { } onHost }
            ? onHost
            : await embedded.CreateVolumeAsync(request, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<VolumeInfo>> ListVolumesAsync(string? deployment, CancellationToken ct)
    {
        var onHosts = (await inventory.ListVolumesAsync(ct).ConfigureAwait(false)).Select(v => v.Volume).OfType<VolumeInfo>()
            .Where(v => deployment is null || v.Deployment == deployment).ToList();
        var local = (await embedded.ListVolumesAsync(deployment, ct).ConfigureAwait(false)).Where(v => onHosts.All(h => h.Id != v.Id));
        return [.. local, .. onHosts];
    }

    /// <summary>Deletes the volume where it is; one on a host that is not connected is deleted once the host is back.</summary>
    public async Task DeleteVolumeAsync(string volumeId, CancellationToken ct)
    {
        using var _ = await _volumeLocks.AcquireAsync(volumeId, ct).ConfigureAwait(false);
        if (await FindVolumeAsync(volumeId, ct).ConfigureAwait(false) is { } placed)
        {
            // A host removed with --force (before or since this control plane started) is not Strata's any more:
            // what it kept is forgotten with it.
            if (StateOf(placed.Host, await inventory.ListAsync(ct).ConfigureAwait(false)) is not null)
            {
                await (await VolumeAgentAsync(volumeId, "it is deleted once the host is back", ct).ConfigureAwait(false)).DeleteVolumeAsync(volumeId, ct).ConfigureAwait(false);
            }

            await inventory.ForgetVolumeAsync(volumeId, ct).ConfigureAwait(false);
        }

        await embedded.DeleteVolumeAsync(volumeId, ct).ConfigureAwait(false);
    }

    public async Task CopyOutAsync(string volumeId, string folder, Func<CancellationToken, Task>? taken, CancellationToken ct)
    {
        using var _ = await _volumeLocks.AcquireAsync(volumeId, ct).ConfigureAwait(false);
        await (await VolumeAgentAsync(volumeId, "its content can be read only once the host is back", ct).ConfigureAwait(false)).ReadVolumeAsync(volumeId, folder, taken, ct).ConfigureAwait(false);
    }

    public async Task CopyInAsync(string volumeId, string folder, CancellationToken ct)
    {
        using var _ = await _volumeLocks.AcquireAsync(volumeId, ct).ConfigureAwait(false);
        await (await VolumeAgentAsync(volumeId, "its content can be written only once the host is back", ct).ConfigureAwait(false)).FillVolumeAsync(volumeId, folder, ct).ConfigureAwait(false);
    }

    public async Task CheckConnectedAsync(string volumeId, CancellationToken ct) =>
        await VolumeAgentAsync(volumeId, "its content can be read or written only once the host is back", ct).ConfigureAwait(false);

    /// <summary>One being moved (no record of the host's yet) is still whole on the control plane's machine.</summary>
    public async Task<string?> HostOfAsync(string volumeId, CancellationToken ct) =>
        await FindVolumeAsync(volumeId, ct).ConfigureAwait(false) is { Volume: not null } placed ? placed.Host : null;

    public async Task<string?> LostHostOfAsync(string volumeId, CancellationToken ct) =>
        await FindVolumeAsync(volumeId, ct).ConfigureAwait(false) is { } placed && IsGone(placed.Host, await inventory.ListAsync(ct).ConfigureAwait(false))
            ? placed.Host
            : null;

    public async Task AbandonAsync(string volumeId, CancellationToken ct)
    {
        using var _ = await _volumeLocks.AcquireAsync(volumeId, ct).ConfigureAwait(false);
        await inventory.ForgetVolumeAsync(volumeId, ct).ConfigureAwait(false);
    }

    /// <summary>Whether a host is lost, or was removed from the fleet.</summary>
    private bool IsGone(string host, IReadOnlyList<HostRecord> registered) => StateOf(host, registered) is null or HostState.Lost;

    /// <summary>
    /// The state of a host that keeps volumes, or null when it was removed from the fleet (before or since this control
    /// plane started). A host not connected since this control plane started is in the state last recorded of it.
    /// </summary>
    private HostState? StateOf(string host, IReadOnlyList<HostRecord> registered) =>
        _removed.Contains(host) || registered.FirstOrDefault(h => h.Registration.Name == host) is not { } recorded
            ? null
            : fleet.Find(host)?.State ?? recorded.State;

    /// <summary>The agent of the host that keeps the volume, when it is connected and not lost.</summary>
    private async Task<HostAgent> VolumeAgentAsync(string volumeId, string untilBack, CancellationToken ct)
    {
        var placed = await FindVolumeAsync(volumeId, ct).ConfigureAwait(false)
            ?? throw new ProviderException($"volume {volumeId} is not kept on a host");
        return fleet.AgentOf(placed.Host) is { } agent && !LostHosts().Contains(placed.Host)
            ? agent
            : throw new ProviderException($"volume {volumeId} is on host {placed.Host}, which is not connected; {untilBack}");
    }

    public async Task<VolumeSnapshot> SnapshotVolumeAsync(string volumeId, CancellationToken ct) =>
        await FindVolumeAsync(volumeId, ct).ConfigureAwait(false) is { } placed
            ? throw new NotSupportedException($"volume {volumeId} is on host {placed.Host}, whose agent takes no snapshots itself; backups copy its content instead")
            : await embedded.SnapshotVolumeAsync(volumeId, ct).ConfigureAwait(false);

    /// <summary>Whether a server keeps volumes on the host it runs on, as last listed: it cannot be moved off that host.</summary>
    public bool KeepsVolumes(string host, string serverId) =>
        _listings.Hosts.TryGetValue(host, out var listed) && listed.Servers.TryGetValue(serverId, out var server) && server.Volumes.Count > 0;

    private Task<HostVolume?> FindVolumeAsync(string volumeId, CancellationToken ct) => inventory.FindVolumeAsync(volumeId, ct);

    /// <summary>The request's volumes that are on a host (or being moved to one).</summary>
    private async Task<List<HostVolume>> VolumesOnHostsAsync(LaunchRequest request, CancellationToken ct)
    {
        if (request.Volumes.Count == 0)
        {
            return [];
        }

        var ids = request.Volumes.Select(v => v.VolumeId).ToHashSet(StringComparer.Ordinal);
        return [.. (await inventory.ListVolumesAsync(ct).ConfigureAwait(false)).Where(v => ids.Contains(v.VolumeId))];
    }

    /// <summary>
    /// Why the tier's next server cannot start where the volume it would take is: a volume of the tier that no running
    /// server holds (its server failed, or was on a lost host) is on a host that is not ready, or that has no room for
    /// the server. Volumes their servers hold do not hold the tier back, nor volumes on lost hosts of a tier that
    /// restores them from snapshots (<paramref name="restoresLost"/>).
    /// </summary>
    private string? WhyVolumesWait(
        List<HostVolume> volumes, bool restoresLost, IReadOnlyList<HostRecord> records, List<PlacementHost> hosts, List<PlacedServer> placed, PlacementRequest request)
    {
        foreach (var volume in volumes.Where(v => !InUse(v.VolumeId)))
        {
            if (_movingVolumes.TryGetValue(volume.VolumeId, out var to))
            {
                return $"no capacity: its volume {volume.VolumeId} is being moved off draining host {volume.Host} to host {to}, where the server starts once it has arrived";
            }

            if (restoresLost && IsGone(volume.Host, records))
            {
                // Its server starts elsewhere, on a new volume restored from the newest snapshot.
                continue;
            }

            if (IsMovable(volume))
            {
                // It goes to whichever host its next server is placed on.
                continue;
            }

            if (WhyNotOn(volume, hosts, records) is { } away)
            {
                return away;
            }

            if (HostPlacement.Choose([.. hosts.Where(h => h.Name == volume.Host)], placed, request, out var shortage) is null)
            {
                return $"{shortage} (its volume {volume.VolumeId} is on host {volume.Host}, and it runs only where its data is)";
            }
        }

        return null;
    }

    /// <summary>Whether the volume's host drains while its agent answers: the volume moves with its next server.</summary>
    private bool IsMovable(HostVolume volume) =>
        !_removed.Contains(volume.Host) && fleet.Find(volume.Host) is { State: HostState.Draining } && fleet.AgentOf(volume.Host) is not null;

    /// <summary>Whether a server being launched, or one that starts or runs on a host not lost, holds the volume.</summary>
    private bool InUse(string volumeId)
    {
        var lost = LostHosts();
        return _heldVolumes.Values.Any(v => v.Contains(volumeId)) || _listings.Hosts.Any(h => !lost.Contains(h.Key) && h.Value.Servers.Values.Any(s => Holds(s, volumeId)));
    }

    /// <summary>Whether the server, starting or running, holds the volume.</summary>
    private static bool Holds(ServerInstance server, string volumeId) =>
        server.State is ServerInstanceState.Pending or ServerInstanceState.Configuring or ServerInstanceState.Running && server.Volumes.Any(v => v.VolumeId == volumeId);

    /// <summary>Why a server whose volume is on a host cannot be placed there now, or null when the host is a candidate.</summary>
    private string? WhyNotOn(HostVolume pinned, List<PlacementHost> candidates, IReadOnlyList<HostRecord> registered)
    {
        if (candidates.Any(h => h.Name == pinned.Host))
        {
            return null;
        }

        var state = StateOf(pinned.Host, registered) switch
        {
            null => "removed",
            HostState.Lost => "lost",
            HostState.Unreachable => "unreachable",
            HostState.Draining => "draining",
            _ => "not connected",
        };
        return $"no capacity: its volume {pinned.VolumeId} is on host {pinned.Host}, which is {state}: the server runs only where its data is, "
            + (state == "draining" ? "and its volume moves with it once the host's agent is connected again" : "and waits for the host to be back");
    }
}
