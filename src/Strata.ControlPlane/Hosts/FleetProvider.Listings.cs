using Strata.Providers;
using Strata.Providers.Hosts.Agent;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Placement;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// What each host runs, as its agent last listed it, and what follows for a server on a host that cannot be heard
/// from: reported stopped on a lost host, unreachable on a silent one, unaccounted for until every host has answered.
/// </summary>
internal sealed partial class FleetProvider
{
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

    /// <summary>The servers on a host (not failed or terminated), as last listed or launched there, ordered by id.</summary>
    public IReadOnlyList<ServerInstance> ServersOn(string host) =>
        _listings.Hosts.TryGetValue(host, out var listed)
            ? [.. listed.Servers.Values.Where(s => s.State is not (ServerInstanceState.Terminated or ServerInstanceState.Failed)).OrderBy(s => s.Id, StringComparer.Ordinal)]
            : [];

    private static string Since(DateTimeOffset? heartbeat) =>
        heartbeat is { } at ? at.UtcDateTime.ToString("HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : "this control plane started";

    /// <summary>
    /// The servers of each host and what they reserve there, as last listed (a host not connected keeps its last
    /// listing), for <c>strata hosts</c>. The reservation is the one placement counts: servers starting or running,
    /// and those placed whose launch is under way.
    /// </summary>
    public IReadOnlyDictionary<string, HostUse> UsePerHost()
    {
        var now = _listings.Now;
        var placed = Placed(now);
        return now.Hosts.Keys.Union(now.Held.Values.Select(h => h.Host)).ToDictionary(
            host => host,
            host => new HostUse(
                now.Hosts.TryGetValue(host, out var listed) ? listed.Servers.Values.Count(s => s.State is not (ServerInstanceState.Terminated or ServerInstanceState.Failed)) : 0,
                HostPlacement.ReservedOn(host, placed)),
            StringComparer.Ordinal);
    }

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

    /// <summary>How many servers a host runs and what they reserve there.</summary>
    public sealed record HostUse(int Servers, ServerResources Reserved);
}
