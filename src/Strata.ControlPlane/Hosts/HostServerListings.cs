using System.Collections.Immutable;
using Strata.Providers;
using Strata.Providers.Hosts.Placement;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// What each host runs, as its agent last listed it, with what this control plane changed there since. Listings are
/// asked for while launches and terminations go on: one asked before a launch returned and answered after it would
/// drop the new server, which then held no port for placement (a second server of its tier was placed on its host and
/// could not bind the port) and looked gone. So every launch and termination is recorded with a serial, a listing
/// applies the changes made since it was asked for, and a listing older than the one standing is not applied at all.
/// A server placed whose launch is under way is held here too, and its launch's answer takes the place of its hold in
/// one change: read apart, a placement could look between the two and see the server in neither (a second server of
/// its tier was placed on its host, took its port for free, and could not bind it).
/// </summary>
internal sealed class HostServerListings
{
    private readonly Lock _gate = new();
    private long _serial;
    private ImmutableList<ServerChange> _changes = [];

    private Snapshot _now = new(ImmutableDictionary<string, HostServers>.Empty, ImmutableDictionary<string, PlacedServer>.Empty);

    /// <summary>Each listed host's servers and the servers held for launches under way, as one snapshot, read without locking.</summary>
    public Snapshot Now => Volatile.Read(ref _now);

    /// <summary>Each listed host's servers: a snapshot, read without locking.</summary>
    public ImmutableDictionary<string, HostServers> Hosts => Now.Hosts;

    /// <summary>Holds the place of a server whose launch is under way: counted for placement before any listing shows it.</summary>
    public void Hold(PlacedServer placed)
    {
        ArgumentNullException.ThrowIfNull(placed);
        lock (_gate)
        {
            _now = _now with { Held = _now.Held.SetItem(placed.ServerId, placed) };
        }
    }

    /// <summary>Lets go of a hold whose launch did not start a server (it threw).</summary>
    public void Release(string serverId)
    {
        lock (_gate)
        {
            _now = _now with { Held = _now.Held.Remove(serverId) };
        }
    }

    /// <summary>The serial to pass to <see cref="Apply"/>: take it before the agent is asked.</summary>
    public long Asking()
    {
        lock (_gate)
        {
            return _serial;
        }
    }

    /// <summary>
    /// The listing of the host by <paramref name="agent"/> (its connection), asked for at <paramref name="asked"/>, with
    /// the changes made since; ignored when a listing asked for later stands already.
    /// </summary>
    public void Apply(string host, object agent, IEnumerable<ServerInstance> listed, long asked, string? digest = null)
    {
        lock (_gate)
        {
            // Whatever connection it came through: the changes it would need were dropped when the newer one applied.
            if (_now.Hosts.TryGetValue(host, out var current) && current.ListedAt > asked)
            {
                return;
            }

            var servers = listed.ToImmutableDictionary(s => s.Id, StringComparer.Ordinal);
            foreach (var change in _changes.Where(c => c.Host == host && c.Serial > asked))
            {
                servers = change.Launched is not { } launched ? servers.Remove(change.ServerId)
                    : servers.TryGetValue(change.ServerId, out var seen) && IsAfterLaunch(seen, launched) ? servers
                    : servers.SetItem(change.ServerId, launched);
            }

            // A hold kept for a launch answered before the host was first listed ends once a listing shows the server.
            var held = _now.Held.RemoveRange(_now.Held.Values.Where(h => h.Host == host && servers.ContainsKey(h.ServerId)).Select(h => h.ServerId));
            _now = new Snapshot(_now.Hosts.SetItem(host, new HostServers(agent, servers, asked) { Digest = digest }), held);
            _changes = _changes.RemoveAll(c => c.Host == host && c.Serial <= asked);
        }
    }

    /// <summary>
    /// Whether the listing's <paramref name="seen"/> is newer than the launch's answer: a later run of the server, or
    /// this run once its launch was over (it exited since, say). Not an earlier run (one launched again under its id
    /// after it failed), and not this run caught while its launch was still going on: a listing answered then shows it
    /// pending or configuring, and taken for the agent's last word it had a booting server look gone. Nor this run
    /// running when the launch's answer is its end (it exited at once): a process never comes back from that.
    /// </summary>
    private static bool IsAfterLaunch(ServerInstance seen, ServerInstance launched) =>
        seen.LaunchedAt > launched.LaunchedAt
        || (seen.LaunchedAt == launched.LaunchedAt
            && seen.State is not (ServerInstanceState.Pending or ServerInstanceState.Configuring)
            && launched.State is not (ServerInstanceState.Failed or ServerInstanceState.Terminated or ServerInstanceState.Stopped));

    /// <summary>
    /// A server the host's agent has launched, in place of its hold. On a host not listed yet (its listing timed out)
    /// the hold stays, until a listing shows the server: in neither place, it would hold no port for placement.
    /// </summary>
    public void Launched(string host, ServerInstance server)
    {
        ArgumentNullException.ThrowIfNull(server);
        Record(host, server.Id, server);
    }

    /// <summary>A server the host's agent has terminated, or that is forgotten.</summary>
    public void Removed(string host, string serverId) => Record(host, serverId, null);

    /// <summary>
    /// Marks the host's last listing as out of date whatever its digest says: one of its servers exited, and the
    /// heartbeat that will say so may come after the pass the exit sets off.
    /// </summary>
    public void Stale(string host)
    {
        lock (_gate)
        {
            if (_now.Hosts.TryGetValue(host, out var servers))
            {
                _now = _now with { Hosts = _now.Hosts.SetItem(host, servers with { Digest = null }) };
            }
        }
    }

    /// <summary>Drops all that is known of the host's servers: it is registered anew.</summary>
    public void Forget(string host)
    {
        lock (_gate)
        {
            _now = new Snapshot(_now.Hosts.Remove(host), _now.Held.RemoveRange(_now.Held.Values.Where(h => h.Host == host).Select(h => h.ServerId)));
            _changes = _changes.RemoveAll(c => c.Host == host);
        }
    }

    private void Record(string host, string serverId, ServerInstance? launched)
    {
        lock (_gate)
        {
            _changes = _changes.Add(new ServerChange(++_serial, host, serverId, launched));
            if (_now.Hosts.TryGetValue(host, out var servers))
            {
                // The launch's answer takes its hold's place; a termination leaves the holds of launches under way.
                var hosts = _now.Hosts.SetItem(host, launched is null ? servers.Without(serverId) : servers.With(launched));
                _now = new Snapshot(hosts, launched is null ? _now.Held : _now.Held.Remove(serverId));
            }
            else if (launched is null)
            {
                // On a host not listed yet the hold stood for the server launched there (see Launched): it is gone.
                _now = _now with { Held = _now.Held.Remove(serverId) };
            }
        }
    }

    /// <summary>Each listed host's servers, and the servers held by id for launches under way, at one moment.</summary>
    public sealed record Snapshot(ImmutableDictionary<string, HostServers> Hosts, ImmutableDictionary<string, PlacedServer> Held);

    /// <summary>A launch (with the server as launched) or a termination (null) on a host, numbered in order.</summary>
    private sealed record ServerChange(long Serial, string Host, string ServerId, ServerInstance? Launched);
}

/// <summary>A host's servers as last listed (asked for at <paramref name="ListedAt"/>) or changed since, and the agent connection that listed them.</summary>
internal sealed record HostServers(object Agent, ImmutableDictionary<string, ServerInstance> Servers, long ListedAt)
{
    /// <summary>The digest of the agent's listing these come from; null when it gave none.</summary>
    public string? Digest { get; init; }

    public HostServers With(ServerInstance server) => this with { Servers = Servers.SetItem(server.Id, server) };

    public HostServers Without(string serverId) => this with { Servers = Servers.Remove(serverId) };
}
