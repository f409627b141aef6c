using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Fences hosts by the deployments' state: a host's agent keeps the servers recorded on its address that are still to
/// run (and those not launched yet, whose address is not known), and stops the others, such as the servers of a lost
/// host that were failed and replaced elsewhere. The scratch servers and load balancers of a region drill under way are
/// kept too. Each one stopped is an event of its deployment.
/// </summary>
internal sealed class StateFencing(DeploymentRegistry deployments, Drills.RegionDrillJournal drills, EventLog events) : IHostFencing
{
    public async Task<IReadOnlySet<string>?> OwnedOnAsync(string host, string address, CancellationToken ct)
    {
        // Before the state is loaded every server would look unknown, and be stopped.
        await deployments.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        return deployments.All.SelectMany(d => d.State.Tiers).SelectMany(t => t.Servers)
            .Where(s => s.State is ServerStatus.Pending or ServerStatus.Configuring or ServerStatus.Booting or ServerStatus.InService or ServerStatus.Unhealthy)
            .Where(s => s.Address is null || s.Address == address)
            .Select(s => s.Name)
            .Concat(drills.ActiveServers)
            .ToHashSet(StringComparer.Ordinal);
    }

    public async Task<IReadOnlySet<string>?> LoadBalancersOwnedOnAsync(string host, CancellationToken ct)
    {
        await deployments.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        return deployments.LoadBalancersOnHosts().Where(l => l.State.Host == host).Select(l => l.State.PhysicalName)
            .Concat(drills.ActiveLoadBalancersOn(host)).ToHashSet(StringComparer.Ordinal);
    }

    public async Task LoadBalancersFencedAsync(string host, IReadOnlyList<string> stopped, CancellationToken ct)
    {
        foreach (var id in stopped)
        {
            if (deployments.All.FirstOrDefault(d => d.State.LoadBalancers.Any(l => l.PhysicalName == id)) is not { } owner)
            {
                continue;
            }

            var now = owner.State.LoadBalancers.First(l => l.PhysicalName == id);
            await events.PublishAsync(owner.Name, EventKinds.LoadBalancerFenced,
                $"host {host} is back: its agent stopped load balancer {now.LogicalName} there, which runs on {now.Host ?? "the control plane's machine"} since",
                $"loadBalancers.{now.LogicalName}", EventSeverity.Warning, ct).ConfigureAwait(false);
        }
    }

    public async Task FencedAsync(string host, IReadOnlyList<ServerInstance> stopped, CancellationToken ct)
    {
        foreach (var server in stopped.Where(s => deployments.Find(s.Deployment) is not null))
        {
            await events.PublishAsync(server.Deployment, EventKinds.ServerFenced,
                $"host {host} is back: its agent stopped {server.Id}, which this control plane no longer runs there (replaced or removed while the host could not be reached), before it could serve",
                new EventSubject { Resource = server.Id, Server = server.Id }, EventSeverity.Warning, ct).ConfigureAwait(false);
        }
    }
}
