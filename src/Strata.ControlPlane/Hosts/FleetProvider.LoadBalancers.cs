using System.Collections.Immutable;
using System.Globalization;
using Strata.ControlPlane.Reconciliation;
using Strata.LoadBalancing;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Placement;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Hosts;

/// <summary>A load balancer the deployments' state records on a host.</summary>
internal sealed record RecordedLoadBalancer(string Deployment, string LogicalName, string PhysicalName, string Host, int Port);

/// <summary>
/// Load balancers with <c>placement</c>: each is placed as a server of its own that needs its listen port and reserves
/// nothing, so no server and no other load balancer takes that port of its host, and it is run by the host's agent.
/// The ports held are those of the load balancers the deployments' state records on hosts (from the first placement
/// after a restart on, whichever deployment is reconciled first), and those just placed, until recorded.
/// </summary>
internal sealed partial class FleetProvider : ILoadBalancerHosts
{
    // Load balancers placed whose host is not recorded yet, by physical name: each holds its listen port on its host.
    private ImmutableDictionary<string, PlacedServer> _loadBalancers = ImmutableDictionary<string, PlacedServer>.Empty;

    // The load balancers the deployments' state records on hosts; none until the fleet is told where to read them.
    private Func<IEnumerable<RecordedLoadBalancer>> _recorded = () => [];

    /// <summary>Where the load balancers recorded on hosts are read (the deployments' state).</summary>
    public void ReadLoadBalancersFrom(Func<IEnumerable<RecordedLoadBalancer>> recorded) => _recorded = recorded;

    public Task<(LoadBalancerHost? Host, string? Shortage)> PlaceAsync(string deployment, LoadBalancerSpec spec, string physicalName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return ChooseAsync(RequestOf(deployment, spec), physicalName, ct);
    }

    public Task<(LoadBalancerHost? Host, string? Shortage)> PlaceScratchAsync(string deployment, string name, PlacementRules rules, CancellationToken ct) =>
        ChooseAsync(new PlacementRequest(deployment, HostPlacement.LoadBalancerTier(name), [], rules, null, $"load balancer '{name}'"), null, ct);

    /// <summary>A ready host for the load balancer <paramref name="request"/> describes, its port held there for <paramref name="holder"/> when given.</summary>
    private async Task<(LoadBalancerHost? Host, string? Shortage)> ChooseAsync(PlacementRequest request, string? holder, CancellationToken ct)
    {
        var hosts = await inventory.ListAsync(ct).ConfigureAwait(false);
        if (hosts.Count == 0)
        {
            return (null, $"no capacity: no hosts are registered, and {request.Who} has a placement (add one with strata host add, or remove the placement to run it on the control plane's machine)");
        }

        await _placing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await RefreshAsync(ct).ConfigureAwait(false);
            var others = Placed().Where(p => p.ServerId != holder).ToList();
            if (HostPlacement.Choose(Candidates(hosts), others, request, out var shortage) is not { } host || fleet.AgentOf(host) is not { } agent)
            {
                return (null, shortage ?? "no capacity: the host chosen went away");
            }

            if (holder is not null)
            {
                ImmutableInterlocked.Update(ref _loadBalancers, l => l.SetItem(holder, new PlacedServer(holder, host, request.Deployment, request.Tier, request.Ports)));
            }

            return (new LoadBalancerHost(host, agent.Address, agent.Zone), null);
        }
        finally
        {
            _placing.Release();
        }
    }

    public Task<Planning.PlannedHost?> PreviewAsync(string deployment, LoadBalancerSpec spec, IReadOnlyCollection<string> kept, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var holding = kept.Where(k => k != spec.Name).Select(HostPlacement.LoadBalancerTier).ToHashSet(StringComparer.Ordinal);
        bool Counts(PlacedServer p) => p.Deployment != deployment || !HostPlacement.IsLoadBalancer(p) || holding.Contains(p.Tier);
        return DecideAsync<Planning.PlannedHost>((records, hosts, placed) =>
            HostPlacement.Choose(hosts, [.. placed.Where(Counts)], RequestOf(deployment, spec), out _) is { } host
                ? new Planning.PlannedHost(host, hosts.First(h => h.Name == host).Zone)
                : null, ct);
    }

    public void Release(string physicalName) => ImmutableInterlocked.TryRemove(ref _loadBalancers, physicalName, out _);

    public ILoadBalancerDriver? DriverOn(string host, string driver, out string? why)
    {
        why = _removed.Contains(host) ? $"host {host} was removed"
            : fleet.Find(host) is not { } status ? $"host {host} has not connected since this control plane started"
            : status.State is HostState.Unreachable or HostState.Lost ? $"host {host} is {(status.State == HostState.Lost ? "lost" : "unreachable")}: its agent has not been heard from since {Since(status.LastHeartbeat)}"
            : fleet.AgentOf(host) is null ? $"host {host} is not connected"
            : null;
        return why is null ? fleet.AgentOf(host)?.LoadBalancerDriver(driver) : null;
    }

    public async Task<string?> WhyMoveAsync(string host, PlacementSpec placement, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(placement);
        var record = (await inventory.ListAsync(ct).ConfigureAwait(false)).FirstOrDefault(h => h.Registration.Name == host);
        if (record is null || _removed.Contains(host))
        {
            return $"host {host} was removed";
        }

        // Not heard from since this control plane started: it stays until the host is lost, as its servers do.
        if (fleet.Find(host) is not { } status)
        {
            return time.GetUtcNow() - _since >= fleet.Options.HostLostAfter
                ? $"host {host} is lost: it has not connected since this control plane started, {(time.GetUtcNow() - _since).TotalSeconds:0}s ago"
                : null;
        }

        var registration = record.Registration;
        return status.State switch
        {
            HostState.Lost => $"host {host} is lost: its agent has not been heard from for {fleet.Options.HostLostAfter.TotalSeconds:0.#}s",
            HostState.Draining => $"host {host} is draining",
            _ when !HostPlacement.Matches(new PlacementHost(host, registration.ZoneOrDefault, registration.Region, registration.Labels), RulesOf(placement)) =>
                $"host {host} no longer matches its placement",
            _ => null,
        };
    }

    public string? WhyPortTaken(string host, int port, string physicalName) =>
        Placed().FirstOrDefault(p => p.Host == host && p.ServerId != physicalName && p.Ports.Contains(port)) is { } holder
            ? $"port {port} of host {host} is held by {(HostPlacement.IsLoadBalancer(holder) ? "load balancer" : "server")} {holder.ServerId}"
            : null;

    /// <summary>The load balancers on hosts, each holding its port there: those recorded, and those placed but not recorded yet.</summary>
    private IEnumerable<PlacedServer> LoadBalancersPlaced()
    {
        var placed = _loadBalancers;
        return placed.Values.Concat(_recorded().Where(l => !placed.ContainsKey(l.PhysicalName))
            .Select(l => new PlacedServer(l.PhysicalName, l.Host, l.Deployment, HostPlacement.LoadBalancerTier(l.LogicalName), [l.Port])));
    }

    private static PlacementRequest RequestOf(string deployment, LoadBalancerSpec spec) =>
        new(deployment, HostPlacement.LoadBalancerTier(spec.Name), [spec.ListenPort], RulesOf(spec.Placement ?? PlacementSpec.Default), null, $"load balancer '{spec.Name}'");

    private static PlacementRules RulesOf(PlacementSpec placement) =>
        new() { Zones = placement.Zones, Regions = placement.Regions, Labels = placement.Labels };

    /// <summary>The port of a recorded listen endpoint, <c>host:8080</c>; null when it has none.</summary>
    public static int? PortOf(string listen) =>
        int.TryParse(listen.AsSpan(listen.LastIndexOf(':') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
}
