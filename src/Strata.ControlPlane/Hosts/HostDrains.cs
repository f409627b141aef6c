using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Takes hosts out of service: draining keeps a host out of placement while each deployment's reconcile moves its
/// servers elsewhere through the rolling-update path (<see cref="ITierCapacity.WhyMoving"/>: a replacement serves
/// before the old server leaves the load balancer, or, for a server that keeps volumes, the server stops and its
/// replacement starts elsewhere with its volumes copied there); resuming makes it ready again; abandoning (a forced removal)
/// treats its servers as on a lost host, replaced elsewhere, and has its agent stop them.
/// </summary>
internal sealed class HostDrains(
    HostFleet fleet, FleetProvider servers, TierCapacityGate capacity, EventLog events, DeploymentRegistry deployments, ReconcileTriggers triggers,
    LoadBalancerCoordinator loadBalancers, IdleVolumeMoves idleVolumes)
{
    /// <summary>
    /// Marks the host as draining, so every deployment moves its servers off it, or ready again (new servers may be
    /// placed on it; those moved away stay where they are). The inventory keeps the mark across restarts.
    /// </summary>
    public void Mark(string name, bool draining)
    {
        fleet.SetDraining(name, draining);
        ReconcileAll();
        if (draining)
        {
            idleVolumes.Wake();
        }
    }

    /// <summary>
    /// The servers still on a draining host, and the volumes there whose servers stopped so that their replacements
    /// start elsewhere with them, each with why it cannot be moved now (if so); null when the host does not drain.
    /// </summary>
    /// <param name="host">The host.</param>
    /// <param name="volumes">The volumes recorded on hosts.</param>
    public HostDrainDto? ProgressOf(HostRecord host, IReadOnlyList<HostVolume> volumes)
    {
        var name = host.Registration.Name;
        if (!Drains(host))
        {
            return null;
        }

        var on = servers.ServersOn(name);
        return new HostDrainDto
        {
            Servers = [.. on.Select(s => new HostDrainServerDto
            {
                Deployment = s.Deployment, Tier = s.Tier, Server = s.Id, KeepsVolumes = s.Volumes.Count > 0,
                Blocked = capacity.ShortageOf(s.Deployment, s.Tier),
            })],
            Volumes = [.. volumes.Where(v => v.Host == name && v.Volume is not null).Select(v => Moving(v, on)).OfType<HostDrainVolumeDto>()],
            LoadBalancers = [.. LoadBalancersOn(name).Select(l => new HostDrainLoadBalancerDto
            {
                Deployment = l.Deployment, LoadBalancer = l.State.LogicalName, Blocked = loadBalancers.WhyStuck(l.State.PhysicalName),
            })],
        };
    }

    /// <summary>The load balancers the deployments' state places on the host.</summary>
    public IEnumerable<(string Deployment, LoadBalancerState State)> LoadBalancersOn(string host) =>
        deployments.LoadBalancersOnHosts().Where(l => l.State.Host == host);

    /// <summary>Whether no deployment records the volume (one retained when its deployment was deleted): no drain moves it.</summary>
    public bool IsUnrecorded(HostVolume volume) => !deployments.RecordsVolume(volume.Deployment, volume.VolumeId);

    /// <summary>Waits until the deployments are loaded: until then none is known, and every volume would look unrecorded.</summary>
    public Task WhenLoadedAsync(CancellationToken ct) => deployments.WhenLoaded.WaitAsync(ct);

    /// <summary>Whether the host drains, as this control plane has marked it or the inventory recorded it.</summary>
    public bool Drains(HostRecord host) => host.Draining || fleet.IsDraining(host.Registration.Name);

    /// <summary>
    /// The volume as it moves off its draining host, or null when its server still runs there (the server is listed):
    /// one whose server stopped moves with its replacement, one no server holds by itself (<see cref="IdleVolumeMoves"/>).
    /// </summary>
    private HostDrainVolumeDto? Moving(HostVolume volume, IReadOnlyList<ServerInstance> on)
    {
        var runtime = deployments.Find(volume.Deployment);
        var recorded = runtime?.State.Volumes.FirstOrDefault(v => v.Name == volume.VolumeId);
        if (recorded is not null && on.Any(s => s.Id == recorded.Server))
        {
            return null;
        }

        var idle = idleVolumes.IsIdle(volume);
        return new HostDrainVolumeDto
        {
            Deployment = volume.Deployment, Tier = volume.Tier, Volume = volume.VolumeId, Server = recorded?.Server, Idle = idle,
            Blocked = idle || recorded is null
                ? idleVolumes.WhyStays(volume.VolumeId)
                : capacity.ShortageOf(volume.Deployment, volume.Tier) ?? runtime?.Failures.GetValueOrDefault(volume.Tier)?.Message,
        };
    }

    /// <summary>
    /// For <c>strata host remove --force</c>: the host's servers are reported stopped and out of rotation, so that they
    /// are replaced elsewhere as for a lost host (an event of each deployment says so), and its load balancers move to
    /// other hosts; then its agent, if it can be reached, stops them all: nothing is left running on a machine Strata
    /// no longer manages.
    /// </summary>
    public async Task AbandonAsync(string name, IReadOnlyList<ServerInstance> on, CancellationToken ct)
    {
        servers.Abandon(name);
        foreach (var server in on)
        {
            await events.PublishAsync(server.Deployment, EventKinds.HostRemoved,
                $"host {name} was removed with --force while it ran {server.Id}: it is stopped there and replaced on another host, as for a lost host",
                EventSubject.OfServer(server.Tier, server.Id), EventSeverity.Warning, ct).ConfigureAwait(false);
        }

        ReconcileAll();
        if (fleet.AgentOf(name) is { } agent)
        {
            try
            {
                await agent.KeepOnlyAsync([], ct).ConfigureAwait(false);
                await agent.KeepOnlyLoadBalancersAsync([], ct).ConfigureAwait(false);
            }
            catch (ProviderException)
            {
                // The host is cut off or its agent gone: its servers are replaced all the same, and the host is
                // forgotten, so nothing will fence them; the event above names them.
            }
        }
    }

    /// <summary>Has every deployment reconciled now: the fleet's placement changed.</summary>
    public void ReconcileAll()
    {
        foreach (var runtime in deployments.All)
        {
            triggers.Now(runtime.Name);
        }
    }
}
