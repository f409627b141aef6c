using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Strata.Common.Concurrency;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning;
using Strata.Providers;
using Strata.Providers.Hosts.Agent;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Placement;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// The control plane's provider once hosts may be registered: with none registered every call goes to the embedded
/// provider (the local one), as before; with hosts, each new server is placed on one (<see cref="HostPlacement"/>) and
/// launched there by its agent, and calls about a server go where it runs. Images are baked by the embedded provider
/// into the control plane's store, from which hosts receive them.
/// </summary>
/// <param name="embedded">The provider of the control plane's machine.</param>
/// <param name="fleet">The hosts' connections.</param>
/// <param name="inventory">The registered hosts and the volumes on them.</param>
/// <param name="events">Where a volume's move between hosts is told.</param>
/// <param name="time">The clock.</param>
/// <param name="home">The Strata home, under which a volume moving between hosts is staged.</param>
internal sealed partial class FleetProvider(ICloudProvider embedded, HostFleet fleet, IHostInventory inventory, EventLog events, TimeProvider time, string home)
    : ICloudProvider, IRemoteVolumes, ITierCapacity, IServerReach, IServerShell, IDisposable
{
    private readonly SemaphoreSlim _placing = new(1, 1);
    private readonly LocalServerShell _localShell = new();
    private readonly HostServerListings _listings = new();
    private int _exitsWatched;

    // Servers placed whose launch is still under way, by id: counted for placement before any listing shows them.
    private ImmutableDictionary<string, PlacedServer> _held = ImmutableDictionary<string, PlacedServer>.Empty;

    // The volumes of the servers held, by server id: in use, wherever the inventory records them meanwhile.
    private ImmutableDictionary<string, ImmutableArray<string>> _heldVolumes = ImmutableDictionary<string, ImmutableArray<string>>.Empty;

    // Volumes no server holds being moved off a draining host, by id, with the host they go to: no launch takes them meanwhile.
    private ImmutableDictionary<string, string> _movingVolumes = ImmutableDictionary<string, string>.Empty;

    // One lock per volume on a host: a move, a copy in or out, a deletion or an abandonment runs alone on it.
    private readonly KeyedLock _volumeLocks = new();

    // Servers whose termination is under way, by id: they hold their ports and reservation until it returns, whatever
    // a listing meanwhile says (the run command may have exited while what it started still holds the port).
    private ImmutableDictionary<string, PlacedServer> _stopping = ImmutableDictionary<string, PlacedServer>.Empty;

    // Hosts removed with --force while they ran servers: those are treated as on a lost host, replaced and forgotten.
    private ImmutableHashSet<string> _removed = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    // The registered hosts as of the last listing, and when this control plane began to know them: a host not heard
    // from since then may run servers no listing shows yet (see WhyUnaccounted).
    private ImmutableHashSet<string> _registered = ImmutableHashSet.Create<string>(StringComparer.Ordinal);
    private readonly DateTimeOffset _since = time.GetUtcNow();

    public string Name => embedded.Name;

    public ProviderCapabilities Capabilities => embedded.Capabilities;

    public IReadOnlyList<string> Zones => embedded.Zones;

    public event Action<ServerStopped>? ServerStopped
    {
        add
        {
            // Ahead of every other handler: the pass an exit sets off must list the host again, whatever its digest.
            if (Interlocked.Exchange(ref _exitsWatched, 1) == 0)
            {
                fleet.ServerStopped += OnExited;
            }

            embedded.ServerStopped += value;
            fleet.ServerStopped += value;
        }

        remove
        {
            embedded.ServerStopped -= value;
            fleet.ServerStopped -= value;
        }
    }

    public Task<MachineImage> RegisterImageAsync(string sourceFolder, CancellationToken ct) => embedded.RegisterImageAsync(sourceFolder, ct);

    public async Task<ServerInstance> LaunchAsync(LaunchRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var hosts = await inventory.ListAsync(ct).ConfigureAwait(false);
        if (hosts.Count == 0 || await embedded.DescribeServerAsync(request.ServerId, ct).ConfigureAwait(false) is not null)
        {
            return await embedded.LaunchAsync(request, ct).ConfigureAwait(false);
        }

        var (host, volumes, shortage) = await PlaceAsync(request, hosts, ct).ConfigureAwait(false);
        if (host is null)
        {
            return NoCapacity(request, shortage!);
        }

        try
        {
            var agent = AgentOn(host, request.ServerId);
            await MoveVolumesAsync(request, agent, volumes, ct).ConfigureAwait(false);
            var instance = await agent.LaunchAsync(request, ct).ConfigureAwait(false);
            _listings.Launched(host, instance);
            return instance;
        }
        finally
        {
            ImmutableInterlocked.TryRemove(ref _held, request.ServerId, out _);
            ImmutableInterlocked.TryRemove(ref _heldVolumes, request.ServerId, out _);
        }
    }

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

            ImmutableInterlocked.TryAdd(ref _held, request.ServerId, new PlacedServer(request.ServerId, host, request.Deployment, request.Tier, request.Ports, request.Resources));
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

    public async Task<IReadOnlyList<ServerInstance>> ListServersAsync(string? deployment, CancellationToken ct)
    {
        var local = await embedded.ListServersAsync(deployment, ct).ConfigureAwait(false);
        _registered = [.. (await inventory.ListAsync(ct).ConfigureAwait(false)).Select(h => h.Registration.Name)];
        await AwaitFirstListingsAsync(ct).ConfigureAwait(false);
        await RefreshAsync(ct, everyHost: true).ConfigureAwait(false);
        var lost = LostHosts();
        return [.. local, .. _listings.Hosts.SelectMany(h => h.Value.Servers.Values.Select(s => lost.Contains(h.Key) ? OnLostHost(s, h.Key) : s))
            .Where(s => deployment is null || s.Deployment == deployment)];
    }

    /// <summary>
    /// A server on a host that is unreachable or lost cannot be reached: its agent is silent, so its last listing says
    /// nothing of whether it serves. A server placed on no host, or on one heard from, can.
    /// </summary>
    public string? WhyUnreachable(string serverId) => HostOf(serverId) switch
    {
        null => null,
        var host when _removed.Contains(host) => $"{serverId} is on host {host}, which was removed",
        var host when fleet.Find(host) is { State: HostState.Unreachable or HostState.Lost } status =>
            $"{serverId} is on host {host}, which is {(status.State == HostState.Lost ? "lost" : "unreachable")}: its agent has not been heard from since {Since(status.LastHeartbeat)}",
        _ => null,
    };

    /// <summary>
    /// The state does not record where a server runs: after a restart the control plane learns it from each host's first
    /// listing. Until every host has answered, a server no listing shows may be on a silent one, and is not gone:
    /// failing it then replaced healthy servers of hosts slow to connect, and fenced them when they did. A host silent
    /// for <see cref="Providers.Hosts.Fleet.HostsOptions.HostLostAfter"/> since this control plane started is lost, as
    /// one that goes silent later is: what it may run is then replaced.
    /// </summary>
    public string? WhyUnaccounted(string serverId)
    {
        if (HostOf(serverId) is not null || time.GetUtcNow() - _since >= fleet.Options.HostLostAfter)
        {
            return null;
        }

        var silent = _registered.Where(h => !_listings.Hosts.ContainsKey(h) && !_removed.Contains(h)).Order(StringComparer.Ordinal).ToList();
        return silent.Count == 0
            ? null
            : $"{serverId} may run on host{(silent.Count == 1 ? "" : "s")} {string.Join(", ", silent)}, not heard from since this control plane started";
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

    /// <summary>The servers on a host (not failed or terminated), as last listed or launched there, ordered by id.</summary>
    public IReadOnlyList<ServerInstance> ServersOn(string host) =>
        _listings.Hosts.TryGetValue(host, out var listed)
            ? [.. listed.Servers.Values.Where(s => s.State is not (ServerInstanceState.Terminated or ServerInstanceState.Failed)).OrderBy(s => s.Id, StringComparer.Ordinal)]
            : [];

    /// <summary>
    /// Treats the servers of a host being removed as on a lost host: reported stopped (so replaced elsewhere), out of
    /// every load balancer, and only forgotten when terminated. A host registered again under the name is used anew.
    /// </summary>
    public void Abandon(string host) => ImmutableInterlocked.Update(ref _removed, r => r.Add(host));

    /// <summary>A host removed with nothing left on it: what its last listing said is dropped.</summary>
    public void Forget(string host) => _listings.Forget(host);

    /// <summary>A host registered (again) under the name: what was known of a removed one of that name is dropped.</summary>
    public void Admit(string host)
    {
        ImmutableInterlocked.Update(ref _removed, r => r.Remove(host));
        _listings.Forget(host);
    }

    private static string Since(DateTimeOffset? heartbeat) =>
        heartbeat is { } at ? at.UtcDateTime.ToString("HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : "this control plane started";

    /// <summary>
    /// The servers of each host and what they reserve there, as last listed (a host not connected keeps its last
    /// listing), for <c>strata hosts</c>. The reservation is the one placement counts: servers starting or running,
    /// and those placed whose launch is under way.
    /// </summary>
    public IReadOnlyDictionary<string, HostUse> UsePerHost()
    {
        var placed = Placed();
        return _listings.Hosts.Keys.Union(_held.Values.Select(h => h.Host)).ToDictionary(
            host => host,
            host => new HostUse(
                _listings.Hosts.TryGetValue(host, out var listed) ? listed.Servers.Values.Count(s => s.State is not (ServerInstanceState.Terminated or ServerInstanceState.Failed)) : 0,
                HostPlacement.ReservedOn(host, placed)),
            StringComparer.Ordinal);
    }

    public async Task<ServerInstance?> DescribeServerAsync(string serverId, CancellationToken ct) =>
        await embedded.DescribeServerAsync(serverId, ct).ConfigureAwait(false)
            ?? (await ListServersAsync(null, ct).ConfigureAwait(false)).FirstOrDefault(s => s.Id == serverId);

    /// <summary>
    /// Terminates the server where it runs. On a lost host it is only forgotten: nothing can reach it, and should the
    /// host come back, its agent stops it on connecting, before listing it (<see cref="StateFencing"/>).
    /// </summary>
    public async Task TerminateAsync(string serverId, TimeSpan? grace, CancellationToken ct)
    {
        if (HostOf(serverId) is not { } host)
        {
            await embedded.TerminateAsync(serverId, grace, ct).ConfigureAwait(false);
            return;
        }

        if (!LostHosts().Contains(host))
        {
            if (_listings.Hosts.TryGetValue(host, out var listed) && listed.Servers.TryGetValue(serverId, out var server)
                && server.State is ServerInstanceState.Pending or ServerInstanceState.Configuring or ServerInstanceState.Running)
            {
                ImmutableInterlocked.TryAdd(ref _stopping, serverId, new PlacedServer(serverId, host, server.Deployment, server.Tier, server.Ports, server.Resources));
            }

            try
            {
                await AgentOn(host, serverId).TerminateAsync(serverId, grace, ct).ConfigureAwait(false);
            }
            finally
            {
                ImmutableInterlocked.TryRemove(ref _stopping, serverId, out _);
            }
        }

        _listings.Removed(host, serverId);
    }

    public Task FenceAsync(string serverId, CancellationToken ct) => HostOf(serverId) switch
    {
        null => embedded.FenceAsync(serverId, ct),
        // A lost host cannot be reached to be fenced: should it come back, its agent stops the server on connecting,
        // and the server's volumes stay on it, waiting for the server's replacement.
        var host when LostHosts().Contains(host) => Task.CompletedTask,
        var host => AgentOn(host, serverId).FenceAsync(serverId, ct),
    };

    public Task<IReadOnlyList<string>> ReadLogTailAsync(string serverId, int lines, CancellationToken ct) => HostOf(serverId) switch
    {
        null => embedded.ReadLogTailAsync(serverId, lines, ct),
        var host => LogReader(host, serverId).ReadLogTailAsync(serverId, lines, ct),
    };

    public IAsyncEnumerable<string> FollowLogAsync(string serverId, int tailLines, CancellationToken ct) => HostOf(serverId) switch
    {
        null => embedded.FollowLogAsync(serverId, tailLines, ct),
        var host => LogReader(host, serverId).FollowLogAsync(serverId, tailLines, ct),
    };

    public Task RotateLogsAsync(CancellationToken ct) => embedded.RotateLogsAsync(ct);

    public void Dispose() => (embedded as IDisposable)?.Dispose();

    private void OnExited(ServerStopped stopped)
    {
        if (HostOf(stopped.ServerId) is { } host)
        {
            _listings.Stale(host);
        }
    }

    /// <summary>
    /// Lists the servers of every connected host that is heard from (or only of those connected since they were last
    /// listed, a new agent), keeping the last listing of the others: their servers are not known to be gone. An agent
    /// silent with its connection still open (a frozen host, a network cut) would never answer, so it is not asked,
    /// and a listing not answered within <see cref="HostsOptions.HostTimeout"/> is given up: a reconcile pass must not
    /// wait on one host.
    /// </summary>
    private async Task RefreshAsync(CancellationToken ct, bool everyHost = false)
    {
        // A host being removed is not listed again: its servers are forgotten one by one as they are terminated.
        foreach (var status in fleet.List().Where(h => h.State is HostState.Ready or HostState.Draining && !_removed.Contains(h.Name)))
        {
            if (fleet.AgentOf(status.Name) is not { } agent || IsKnown(status.Name, agent, everyHost))
            {
                continue;
            }

            IReadOnlyList<ServerInstance> servers;
            string? digest;
            var asked = _listings.Asking();
            using var timeout = new CancellationTokenSource(fleet.Options.HostTimeout, time);
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            try
            {
                (servers, digest) = await agent.ListAllServersAsync(patience.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ProviderException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // The host went away or went silent while asked; its last listing stands.
                continue;
            }

            if (ReferenceEquals(fleet.AgentOf(status.Name), agent))
            {
                // Not when the agent reconnected meanwhile: what the old connection said is older than the new one.
                _listings.Apply(status.Name, agent, servers, asked, digest);
            }
        }
    }

    /// <summary>
    /// True when the host's last listing came from its current agent and need not be asked again: either any listing
    /// will do, or the agent's last heartbeat says its servers are as that listing had them (the same digest). A host
    /// of 40 servers listed on every pass cost an idle control plane more than all else it did.
    /// </summary>
    private bool IsKnown(string host, HostAgent agent, bool everyHost) =>
        _listings.Hosts.TryGetValue(host, out var known) && ReferenceEquals(known.Agent, agent)
        && (!everyHost || (known.Digest is { } digest && digest == fleet.ServersDigestOf(host)));

    private HashSet<string> LostHosts() => [.. fleet.List().Where(h => h.State == HostState.Lost).Select(h => h.Name), .. _removed];

    /// <summary>A server of a lost host as the control plane must treat it: not running, so that it is replaced elsewhere.</summary>
    private ServerInstance OnLostHost(ServerInstance server, string host) => server.State is ServerInstanceState.Terminated or ServerInstanceState.Failed
        ? server
        : server with
        {
            State = ServerInstanceState.Stopped,
            Message = _removed.Contains(host)
                ? $"host {host} was removed (--force): its servers are replaced elsewhere"
                : $"host {host} is lost: its agent has not been heard from for {fleet.Options.HostLostAfter.TotalSeconds:0.#}s",
        };

    private List<PlacementHost> Candidates(IReadOnlyList<HostRecord> hosts) =>
        [.. hosts.Select(h => (h.Registration, Status: fleet.Find(h.Registration.Name)))
            .Where(h => h.Status is { State: HostState.Ready, Connected: true, Agent: not null } && !_removed.Contains(h.Registration.Name))
            .Select(h => new PlacementHost(h.Registration.Name, h.Registration.ZoneOrDefault, h.Registration.Region, h.Registration.Labels,
                h.Status!.Agent!.Cores, h.Status.Agent.MemoryBytes))];

    private List<PlacedServer> Placed()
    {
        // Only a server whose process starts or runs holds its ports: one that exited (failed, awaiting clean-up until
        // its replacement serves) leaves them free, or its replacement could never be placed where it ran.
        var listed = _listings.Hosts.SelectMany(h => h.Value.Servers.Values.Where(s => s.State is ServerInstanceState.Pending or ServerInstanceState.Configuring or ServerInstanceState.Running)
            .Select(s => new PlacedServer(s.Id, h.Key, s.Deployment, s.Tier, s.Ports, s.Resources))).ToList();
        return [.. listed, .. _held.Values.Concat(_stopping.Values).Where(other => !listed.Any(s => s.ServerId == other.ServerId)), .. LoadBalancersPlaced()];
    }

    /// <summary>
    /// Runs the command where the server runs: through its host's agent, or here. A server that a host not heard from
    /// since this control plane started may hold is refused rather than run here.
    /// </summary>
    public Task<ShellResult> RunAsync(ShellRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (HostOf(request.ServerId) is { } host)
        {
            return AgentOn(host, request.ServerId).RunCommandAsync(request, ct);
        }

        return WhyUnaccounted(request.ServerId) is { } why
            ? throw new ProviderException($"{why}: its command is not run until that host is listed")
            : _localShell.RunAsync(request, ct);
    }

    public string? HostOf(string serverId) =>
        _held.TryGetValue(serverId, out var held) ? held.Host : _listings.Hosts.FirstOrDefault(h => h.Value.Servers.ContainsKey(serverId)).Key;

    private HostAgent AgentOn(string host, string serverId) =>
        fleet.AgentOf(host) ?? throw new ProviderException($"server {serverId} is on host {host}, which is not connected; retried when it is back");

    private HostAgent LogReader(string host, string serverId) =>
        fleet.AgentOf(host) is { } agent && !LostHosts().Contains(host)
            ? agent
            : throw new ProviderException($"server {serverId} is on host {host}, which is not connected: its log is kept there and can be read once the host is back");

    private static ServerInstance NoCapacity(LaunchRequest request, string shortage) => new()
    {
        Id = request.ServerId, Name = request.Name ?? request.ServerId, Deployment = request.Deployment, Tier = request.Tier,
        Zone = request.Zone ?? "", Address = "", ImageId = request.Image.Id, State = ServerInstanceState.Failed, Message = shortage,
        LaunchedAt = DateTimeOffset.MinValue, RootPath = "", LogPath = "", ConfigPath = "", Ports = request.Ports,
    };

    /// <summary>How many servers a host runs and what they reserve there.</summary>
    public sealed record HostUse(int Servers, ServerResources Reserved);
}
