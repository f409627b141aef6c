using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Takes hosts out of service: draining keeps a host out of placement while each deployment's reconcile moves its
/// servers elsewhere through the rolling-update path (<see cref="ITierCapacity.WhyMoving"/>: a replacement serves
/// before the old server leaves the load balancer); resuming makes it ready again; abandoning (a forced removal)
/// treats its servers as on a lost host, replaced elsewhere, and has its agent stop them.
/// </summary>
internal sealed class HostDrains(
    HostFleet fleet, FleetProvider servers, TierCapacityGate capacity, EventLog events, DeploymentRegistry deployments, ReconcileTriggers triggers)
{
    /// <summary>
    /// Marks the host as draining, so every deployment moves its servers off it, or ready again (new servers may be
    /// placed on it; those moved away stay where they are). The inventory keeps the mark across restarts.
    /// </summary>
    public void Mark(string name, bool draining)
    {
        fleet.SetDraining(name, draining);
        ReconcileAll();
    }

    /// <summary>The servers still on a draining host, each with why it cannot be moved now (if so); null when it does not drain.</summary>
    public HostDrainDto? ProgressOf(HostRecord host)
    {
        var name = host.Registration.Name;
        if (!fleet.IsDraining(name) && !host.Draining)
        {
            return null;
        }

        return new HostDrainDto
        {
            Servers = [.. servers.ServersOn(name).Select(s => new HostDrainServerDto
            {
                Deployment = s.Deployment, Tier = s.Tier, Server = s.Id,
                Blocked = s.Volumes.Count > 0
                    ? $"it keeps its volumes on {name}, and volumes do not move between hosts: it stays until its tier or deployment is removed"
                    : capacity.ShortageOf(s.Deployment, s.Tier),
            })],
        };
    }

    /// <summary>
    /// For <c>strata host remove --force</c>: the host's servers are reported stopped and out of rotation, so that they
    /// are replaced elsewhere as for a lost host (an event of each deployment says so), then its agent, if it can be
    /// reached, stops them: nothing is left running on a machine Strata no longer manages.
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
