using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Strata.Common.Concurrency;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.Providers;
using Strata.Providers.Hosts.Agent;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Placement;

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
        catch
        {
            _listings.Release(request.ServerId);
            throw;
        }
        finally
        {
            ImmutableInterlocked.TryRemove(ref _heldVolumes, request.ServerId, out _);
        }
    }

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

    public string? HostOf(string serverId) => _listings.Now is var now && now.Held.TryGetValue(serverId, out var held)
        ? held.Host
        : now.Hosts.FirstOrDefault(h => h.Value.Servers.ContainsKey(serverId)).Key;

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
}
