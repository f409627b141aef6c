using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.LoadBalancing;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Which driver runs a load balancer: the control plane's own (<see cref="ILoadBalancerDriverRegistry"/>) for one
/// without <c>placement</c>, the one of its host's agent (<see cref="ILoadBalancerHosts"/>) for one with it. A load
/// balancer with placement is placed on a host the first time, stays there, and moves (stopped on the old host when it
/// can be reached, started on the new one, at the new host's address) when its host is lost, removed or draining, or no
/// longer matches its placement. The host is recorded in the state, so a restarted control plane finds it there.
/// </summary>
public sealed class LoadBalancerPlacement(ILoadBalancerDriverRegistry drivers, ILoadBalancerHosts hosts, EventLog events)
{
    /// <summary>
    /// A load balancer's driver, and its state as placed; or no driver with why it cannot run now. <paramref name="Stuck"/>
    /// says why one that must move cannot, while it runs on where it is (its host drains, say, and no other host fits).
    /// </summary>
    public readonly record struct Placed(ILoadBalancerDriver? Driver, LoadBalancerState State, string? Why, string? Stuck = null);

    /// <summary>The driver to run <paramref name="spec"/> with, placing or moving it first as its placement needs.</summary>
    public async Task<Placed> DriverForAsync(DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(state);
        if (state.Driver != spec.Driver)
        {
            state = await ChangeDriverAsync(runtime, spec, state, ct).ConfigureAwait(false);
        }

        if (spec.Placement is null)
        {
            if (state.Host is not null)
            {
                state = await LeaveHostAsync(runtime, state, null, null, ct).ConfigureAwait(false);
            }

            return new(drivers.Get(spec.Driver), state, null);
        }

        var why = state.Host is null
            ? null
            : await hosts.WhyMoveAsync(state.Host, spec.Placement, ct).ConfigureAwait(false) ?? hosts.WhyPortTaken(state.Host, spec.ListenPort, state.PhysicalName);
        if (state.Host is null || why is not null)
        {
            var (host, shortage) = await hosts.PlaceAsync(runtime.Name, spec, state.PhysicalName, ct).ConfigureAwait(false);
            if (host is null || host.Name == state.Host)
            {
                hosts.Release(state.PhysicalName);
                var stuck = why is null ? shortage : $"{why}, and it cannot move: {shortage ?? "no other host can take it"}";
                return state.Host is { } current && hosts.DriverOn(current, spec.Driver, out _) is { } staying
                    ? new(staying, state, null, stuck)
                    : new(null, state, stuck);
            }

            try
            {
                state = await MoveAsync(runtime, spec, state, host, why, ct).ConfigureAwait(false);
            }
            finally
            {
                // Recorded on its host, whose port the state holds from now on; or given up, to be placed again.
                hosts.Release(state.PhysicalName);
            }
        }

        var driver = hosts.DriverOn(state.Host!, spec.Driver, out var unreachable);
        return new(driver, state, driver is null ? $"it runs on host {state.Host}, which cannot be reached now ({unreachable})" : null);
    }

    /// <summary>The driver a load balancer runs under as recorded, or null when its host cannot be reached now.</summary>
    public ILoadBalancerDriver? DriverOf(LoadBalancerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Host is null ? drivers.Get(state.Driver) : hosts.DriverOn(state.Host, state.Driver, out _);
    }

    /// <summary>
    /// Stops a load balancer for good where it runs. One whose host cannot be reached is only forgotten: the host's agent
    /// stops it when the host is back (see <see cref="ILoadBalancerHosts"/> and the fencing of hosts).
    /// </summary>
    public async Task StopAsync(LoadBalancerState state, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        await StopQuietlyAsync(state, ct).ConfigureAwait(false);
        hosts.Release(state.PhysicalName);
    }

    /// <summary>Stops the load balancer where it runs as recorded; one on a host that cannot be reached is stopped by its agent once the host is back.</summary>
    private async Task StopQuietlyAsync(LoadBalancerState state, CancellationToken ct)
    {
        try
        {
            if (DriverOf(state) is { } driver)
            {
                await driver.StopAsync(state.PhysicalName, ct).ConfigureAwait(false);
            }
        }
        catch (Providers.ProviderException) when (state.Host is not null)
        {
            // The host went away meanwhile: it no longer runs the load balancer for this control plane, and its agent
            // stops it once the host is back (the hosts' fencing).
        }
    }

    /// <summary>Stops the load balancer under its old driver where it runs, and records the new one.</summary>
    private async Task<LoadBalancerState> ChangeDriverAsync(DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state, CancellationToken ct)
    {
        await StopQuietlyAsync(state, ct).ConfigureAwait(false);
        return await RecordAsync(runtime, state, l => l with { Driver = spec.Driver, Url = null, Members = [] }, ct).ConfigureAwait(false);
    }

    /// <summary>Changes the load balancer's record in the deployment's state; returns it as recorded.</summary>
    private static async Task<LoadBalancerState> RecordAsync(DeploymentRuntime runtime, LoadBalancerState state, Func<LoadBalancerState, LoadBalancerState> change, CancellationToken ct)
    {
        var changed = await runtime.MutateAsync(
            s => s with { LoadBalancers = [.. s.LoadBalancers.Select(l => l.PhysicalName == state.PhysicalName ? change(l) : l)] }, ct).ConfigureAwait(false);
        return changed.FindLoadBalancer(state.LogicalName) ?? state;
    }

    /// <summary>Records the load balancer on its new host, after stopping it where it ran, and says so.</summary>
    private async Task<LoadBalancerState> MoveAsync(DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state, LoadBalancerHost host, string? why, CancellationToken ct)
    {
        var from = state.Host;
        state = await LeaveHostAsync(runtime, state, host.Name, host.Address, ct).ConfigureAwait(false);
        var listen = $"{host.Address}:{spec.ListenPort}";
        var message = from is null
            ? $"load balancer {spec.Name} placed on host {host.Name} (zone {host.Zone}): it listens at {listen}"
            : $"load balancer {spec.Name} moved from host {from} to host {host.Name} (zone {host.Zone}) because {why}: it listens at {listen} now";
        await events.PublishAsync(runtime.Name, EventKinds.LoadBalancerPlaced, message, $"loadBalancers.{spec.Name}",
            from is null ? EventSeverity.Info : EventSeverity.Warning, ct).ConfigureAwait(false);
        return state;
    }

    /// <summary>
    /// Stops the load balancer where it was recorded, on the control plane's machine (one run there before it had a
    /// placement must not serve on) or on a host when that can be reached (otherwise its agent stops it once the host
    /// is back), and records it on <paramref name="host"/> (null: the control plane's machine).
    /// </summary>
    private async Task<LoadBalancerState> LeaveHostAsync(DeploymentRuntime runtime, LoadBalancerState state, string? host, string? address, CancellationToken ct)
    {
        if (state.Host != host)
        {
            await StopQuietlyAsync(state, ct).ConfigureAwait(false);
        }

        return await RecordAsync(runtime, state, l => l with { Host = host, Address = address, Url = null, Members = [] }, ct).ConfigureAwait(false);
    }
}
