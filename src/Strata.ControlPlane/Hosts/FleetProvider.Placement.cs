using System.Collections.Immutable;
using Strata.Planning;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Placement;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Where servers go: the host a launch is placed on, held for it until the launch returns, and what the reconciler
/// asks before it launches (<see cref="Reconciliation.ITierCapacity"/>): whether a tier's next servers fit, and where.
/// A placement is decided under the placement lock, over listings refreshed then.
/// </summary>
internal sealed partial class FleetProvider
{
    /// <summary>
    /// The host the server runs on already, or the one placement chooses, held for it, with the request's volumes on
    /// hosts as they are recorded then; or null with the shortage. The volumes are read under the placement lock, so
    /// that a volume moved off a draining host meanwhile (<see cref="MoveIdleVolumeAsync"/>) is seen where it is now.
    /// </summary>
    private async Task<(string? Host, List<HostVolume> Volumes, string? Shortage)> PlaceAsync(LaunchRequest request, IReadOnlyList<HostRecord> hosts, CancellationToken ct)
    {
        await _placing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await RefreshAsync(ct).ConfigureAwait(false);
            var volumes = await VolumesOnHostsAsync(request, ct).ConfigureAwait(false);
            if (HostOf(request.ServerId) is { } placed)
            {
                return (placed, volumes, null);
            }

            if (volumes.FirstOrDefault(v => _movingVolumes.ContainsKey(v.VolumeId)) is { } moving)
            {
                // The capacity gate has the tier wait for it; only a launch that raced the move's start comes here.
                return (null, volumes, $"no capacity: its volume {moving.VolumeId} is being moved off draining host {moving.Host} to host {_movingVolumes[moving.VolumeId]}, where the server starts once it has arrived");
            }

            // Volumes on a draining host go wherever the server is placed; the others pin it to their host.
            var staying = volumes.Where(v => !IsMovable(v)).ToList();
            if (staying.Select(v => v.Host).Distinct().ToList() is { Count: > 1 } apart)
            {
                return (null, volumes, $"its volumes are on different hosts ({string.Join(", ", apart)}), and a server runs on one");
            }

            var pinned = staying.FirstOrDefault();
            var candidates = Candidates(hosts);
            if (pinned is not null && WhyNotOn(pinned, candidates, hosts) is { } away)
            {
                return (null, volumes, away);
            }

            if (Choose(request, pinned is null ? candidates : [.. candidates.Where(h => h.Name == pinned.Host)], out var shortage) is not { } host)
            {
                return (null, volumes, pinned is null ? shortage : $"{shortage} (its volume {pinned.VolumeId} is on host {pinned.Host}, and it runs only where its data is)");
            }

            _listings.Hold(new PlacedServer(request.ServerId, host, request.Deployment, request.Tier, request.Ports, request.Resources));
            ImmutableInterlocked.TryAdd(ref _heldVolumes, request.ServerId, [.. request.Volumes.Select(v => v.VolumeId)]);
            return (host, volumes, null);
        }
        finally
        {
            _placing.Release();
        }
    }

    /// <summary>
    /// The host for the server among <paramref name="eligible"/>, leaving out those whose disk, as their agents last
    /// measured it, is too full for the image: choosing one again and again would only fail each launch there.
    /// </summary>
    private string? Choose(LaunchRequest request, List<PlacementHost> eligible, out string? shortage)
    {
        var full = eligible.Select(h => (Host: h, Short: DiskShort(h.Name, request.Image))).Where(h => h.Short is not null).ToList();
        var roomy = eligible.Where(h => full.All(f => f.Host != h)).ToList();
        var rules = new PlacementRequest(request.Deployment, request.Tier, request.Ports, request.Placement, request.Resources);
        var host = HostPlacement.Choose(roomy, Placed(), rules, out shortage);
        if (host is null && full.Count > 0)
        {
            var where = string.Join("; ", full.Select(f => f.Short));
            shortage = roomy.Count == 0
                ? $"no capacity: image {request.Image.Name} does not fit on the disk of any host tier '{request.Tier}' may use ({where}); free space on a host, or add one"
                : $"{shortage}; the other hosts are too full for image {request.Image.Name} ({where})";
        }

        return host;
    }

    /// <summary>How a host's disk is too full for a server of the image, or null when it has room (or its free space is not known).</summary>
    private string? DiskShort(string host, MachineImage image) =>
        fleet.AgentOf(host) is { } agent && fleet.Find(host)?.DiskFreeBytes is { } free && agent.DiskNeededFor(image) is var needed && needed > free
            ? $"{host}: {ServerResources.FormatBytes(free)} of disk free, about {ServerResources.FormatBytes(needed)} needed"
            : null;

    /// <summary>
    /// The cores of the ready hosts servers are placed on, those of hosts that share a kernel (containers of one
    /// machine, say) counted once; null when no host is ready (servers run on this machine, or nowhere yet).
    /// </summary>
    public int? BootCores =>
        fleet.List().Where(h => h is { State: HostState.Ready, Connected: true, Agent: not null } && !_removed.Contains(h.Name))
            .GroupBy(h => h.Agent!.BootId ?? $"host:{h.Name}", StringComparer.Ordinal)
            .Sum(machine => machine.Max(h => h.Agent!.Cores)) is > 0 and var cores
            ? cores
            : null;

    /// <summary>
    /// Why <paramref name="count"/> more servers of the tier cannot all be placed now, the places of the
    /// <paramref name="leaving"/> servers counted as free, or null when they can (or no hosts are registered).
    /// </summary>
    /// <remarks>
    /// A tier with a volume on a host that cannot take servers now is short as well: its new servers would take that
    /// volume, and run only where it is (see <see cref="WhyNotOn"/>), so none starts, rather than each failing.
    /// </remarks>
    public async Task<string?> ShortageAsync(string deployment, TierSpec tier, int count, IReadOnlySet<string> leaving, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tier);
        var volumes = tier.Volumes.Count == 0
            ? []
            : (await inventory.ListVolumesAsync(ct).ConfigureAwait(false)).Where(v => v.Deployment == deployment && v.Tier == tier.Name).ToList();
        var request = TierPlacement.RequestOf(deployment, tier);
        return await DecideAsync((records, hosts, placed) =>
        {
            var staying = placed.Where(p => !leaving.Contains(p.ServerId)).ToList();
            return WhyVolumesWait(volumes, tier.VolumeRecovery == VolumeRecovery.RestoreLatest, records, hosts, staying, request)
                ?? (HostPlacement.PlaceAll(hosts, staying, request, count, out var shortage) is null ? shortage : null);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Whether hosts were registered when the servers were last listed (every pass lists them).</summary>
    public bool PlacesOnHosts => !_registered.IsEmpty;

    public Task<IReadOnlyList<PlannedHost>?> PreviewAsync(string deployment, TierSpec tier, int count, CancellationToken ct) =>
        DecideAsync<IReadOnlyList<PlannedHost>>((_, hosts, placed) =>
            [.. HostPlacement.PlaceUpTo(hosts, placed, TierPlacement.RequestOf(deployment, tier), count, out var _).Select(h => new PlannedHost(h.Name, h.Zone))], ct);

    /// <summary>
    /// A placement decision over the hosts as they stand (listings refreshed, under the placement lock so that no
    /// launch is being placed meanwhile); null when no hosts are registered.
    /// </summary>
    private async Task<T?> DecideAsync<T>(Func<IReadOnlyList<HostRecord>, List<PlacementHost>, List<PlacedServer>, T?> decide, CancellationToken ct)
        where T : class
    {
        var hosts = await inventory.ListAsync(ct).ConfigureAwait(false);
        if (hosts.Count == 0)
        {
            return null;
        }

        // A plan asked for right after the control plane started would otherwise find no host connected yet.
        await AwaitFirstListingsAsync(ct).ConfigureAwait(false);
        await _placing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await RefreshAsync(ct).ConfigureAwait(false);
            return decide(hosts, Candidates(hosts), Placed());
        }
        finally
        {
            _placing.Release();
        }
    }

    /// <summary>
    /// A server on a draining host must move. One that keeps volumes there takes them along: it stops, and its
    /// replacement starts on another host with its volumes copied there (see <see cref="MoveVolumesAsync"/>).
    /// </summary>
    public string? WhyMoving(string serverId) =>
        HostOf(serverId) is { } host && fleet.Find(host) is { State: HostState.Draining } ? $"host {host} is draining" : null;

    /// <summary>
    /// A server that keeps volumes on an unreachable host could not be started again anywhere now: its volumes can be
    /// neither used there nor copied away. One on a lost or removed host is not pinned: it is replaced as a failed
    /// server is.
    /// </summary>
    public string? WhyPinned(string serverId) =>
        HostOf(serverId) is { } host && !_removed.Contains(host) && KeepsVolumes(host, serverId)
            && fleet.Find(host) is { State: HostState.Unreachable }
            ? $"its volumes are on host {host}, which is unreachable"
            : null;

    private List<PlacementHost> Candidates(IReadOnlyList<HostRecord> hosts) =>
        [.. hosts.Select(h => (h.Registration, Status: fleet.Find(h.Registration.Name)))
            .Where(h => h.Status is { State: HostState.Ready, Connected: true, Agent: not null } && !_removed.Contains(h.Registration.Name))
            .Select(h => new PlacementHost(h.Registration.Name, h.Registration.ZoneOrDefault, h.Registration.Region, h.Registration.Labels,
                h.Status!.Agent!.Cores, h.Status.Agent.MemoryBytes))];

    private List<PlacedServer> Placed(HostServerListings.Snapshot? snapshot = null)
    {
        // Only a server whose process starts or runs holds its ports: one that exited (failed, awaiting clean-up until
        // its replacement serves) leaves them free, or its replacement could never be placed where it ran.
        // The listings and the holds are read as one: a launch's answer replaces its hold in one change.
        var now = snapshot ?? _listings.Now;
        var listed = now.Hosts.SelectMany(h => h.Value.Servers.Values.Where(s => s.State is ServerInstanceState.Pending or ServerInstanceState.Configuring or ServerInstanceState.Running)
            .Select(s => new PlacedServer(s.Id, h.Key, s.Deployment, s.Tier, s.Ports, s.Resources))).ToList();
        return [.. listed, .. now.Held.Values.Concat(_stopping.Values).Where(other => !listed.Any(s => s.ServerId == other.ServerId)), .. LoadBalancersPlaced()];
    }
}
