using System.Collections.Immutable;
using Strata.ControlPlane.Reconciliation;
using Strata.LoadBalancing;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Placement;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Load balancers with <c>placement</c>: each is placed as a server of its own that needs its listen port and reserves
/// nothing, so no server and no other load balancer takes that port of its host, and it is run by the host's agent.
/// </summary>
internal sealed partial class FleetProvider : ILoadBalancerHosts
{
    // Load balancers on hosts, by physical name: each holds its listen port on its host.
    private ImmutableDictionary<string, PlacedServer> _loadBalancers = ImmutableDictionary<string, PlacedServer>.Empty;

    public async Task<(LoadBalancerHost? Host, string? Shortage)> PlaceAsync(string deployment, LoadBalancerSpec spec, string physicalName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var hosts = await inventory.ListAsync(ct).ConfigureAwait(false);
        if (hosts.Count == 0)
        {
            return (null, $"no capacity: no hosts are registered, and load balancer '{spec.Name}' has a placement (add one with strata host add, or remove the placement to run it on the control plane's machine)");
        }

        await _placing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await RefreshAsync(ct).ConfigureAwait(false);
            var request = RequestOf(deployment, spec);
            var others = Placed().Where(p => p.ServerId != physicalName).ToList();
            if (HostPlacement.Choose(Candidates(hosts), others, request, out var shortage) is not { } host || fleet.AgentOf(host) is not { } agent)
            {
                return (null, shortage ?? "no capacity: the host chosen went away");
            }

            ImmutableInterlocked.Update(ref _loadBalancers, l => l.SetItem(physicalName, new PlacedServer(physicalName, host, deployment, request.Tier, request.Ports)));
            return (new LoadBalancerHost(host, agent.Address, agent.Zone), null);
        }
        finally
        {
            _placing.Release();
        }
    }

    public void Hold(string deployment, LoadBalancerSpec spec, string physicalName, string host)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var held = new PlacedServer(physicalName, host, deployment, HostPlacement.LoadBalancerTier(spec.Name), [spec.ListenPort]);
        ImmutableInterlocked.Update(ref _loadBalancers, l => l.TryGetValue(physicalName, out var known) && known.Host == host && known.Ports.SequenceEqual(held.Ports) ? l : l.SetItem(physicalName, held));
    }

    public void Release(string physicalName) => ImmutableInterlocked.TryRemove(ref _loadBalancers, physicalName, out _);

    public ILoadBalancerDriver? DriverOn(string host, string driver, out string? why)
    {
        why = _removed.Contains(host) ? $"host {host} was removed"
            : fleet.Find(host) is not { } status ? $"host {host} is not registered"
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
            return null;
        }

        var registration = record.Registration;
        var rules = RulesOf(placement);
        return status.State switch
        {
            HostState.Lost => $"host {host} is lost: its agent has not been heard from for {fleet.Options.HostLostAfter.TotalSeconds:0.#}s",
            HostState.Draining => $"host {host} is draining",
            _ when !HostPlacement.Matches(new PlacementHost(host, registration.ZoneOrDefault, registration.Region, registration.Labels), rules) =>
                $"host {host} no longer matches its placement",
            _ => null,
        };
    }

    private static PlacementRequest RequestOf(string deployment, LoadBalancerSpec spec) =>
        new(deployment, HostPlacement.LoadBalancerTier(spec.Name), [spec.ListenPort], RulesOf(spec.Placement ?? PlacementSpec.Default), null, $"load balancer '{spec.Name}'");

    private static PlacementRules RulesOf(PlacementSpec placement) =>
        new() { Zones = placement.Zones, Regions = placement.Regions, Labels = placement.Labels };
}
