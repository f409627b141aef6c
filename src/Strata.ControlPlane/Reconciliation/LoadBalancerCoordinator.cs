using System.Collections.Concurrent;
using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.LoadBalancing;
using Strata.LoadBalancing.Pinning;
using Strata.Planning.Naming;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Keeps each load balancer of a deployment running and its pool equal to the target tier's servers in service (and
/// passing the load balancer's own check, when it has one: see <see cref="LoadBalancerMembership"/>).
/// A server leaves the pool, and its in-flight requests drain, before it is terminated. A server that cannot be reached
/// (<see cref="IServerReach"/>: its host is unreachable) is no member at all, whatever its last known state. Where a
/// load balancer runs, the control plane's machine or a host, is <see cref="LoadBalancerPlacement"/>'s to say.
/// </summary>
public sealed partial class LoadBalancerCoordinator(
    LoadBalancerPlacement placement, LoadBalancerChecks checks, IServerReach reach, EventLog events, ReconcileTriggers triggers, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, LoadBalancerInstance> _instances = new(StringComparer.Ordinal);

    // First starts under way, by physical name: a pass neither waits for one nor starts it again; the start sets the
    // members itself as soon as the load balancer answers, and a pass afterwards collects its outcome.
    private readonly ConcurrentDictionary<string, Task> _starting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _reported = new(StringComparer.Ordinal);

    // Why a load balancer cannot run now (its host cannot be reached, or no host can take it), by physical name.
    private readonly ConcurrentDictionary<string, string> _down = new(StringComparer.Ordinal);

    // Why a load balancer that must leave its host (draining, say) cannot, while it runs on there, by physical name.
    private readonly ConcurrentDictionary<string, string> _stuck = new(StringComparer.Ordinal);

    private readonly Random _random = new();

    private readonly TrafficMeter _meter = new();
    private readonly ConcurrentDictionary<string, LoadBalancerTrafficDto?> _traffic = new(StringComparer.Ordinal);

    /// <summary>Why a load balancer cannot run now, or null when nothing keeps it from running.</summary>
    public string? WhyDown(string physicalName) => _down.GetValueOrDefault(physicalName);

    /// <summary>Why a load balancer that must leave its host cannot now, or null when it need not or can.</summary>
    public string? WhyStuck(string physicalName) => _stuck.GetValueOrDefault(physicalName);

    /// <summary>The running instance of a load balancer by physical name, as last seen.</summary>
    public LoadBalancerInstance? Find(string physicalName) => _instances.GetValueOrDefault(physicalName);

    /// <summary>The counters of a running load balancer, from the driver it runs under; null when it does not answer or cannot be reached.</summary>
    public async Task<LoadBalancerStats?> StatsAsync(LoadBalancerState state, CancellationToken ct) =>
        Find(state.PhysicalName) is { State: LoadBalancerInstanceState.Running } instance && placement.DriverOf(state) is { } driver
            ? await driver.GetStatsAsync(instance, ct).ConfigureAwait(false)
            : null;

    /// <summary>Traffic between the last two reconcile passes, or null before two were made.</summary>
    public LoadBalancerTrafficDto? TrafficOf(string physicalName) => _traffic.GetValueOrDefault(physicalName);

    private async Task SampleTrafficAsync(ILoadBalancerDriver driver, LoadBalancerInstance instance, string physicalName, CancellationToken ct)
    {
        if (await driver.GetStatsAsync(instance, ct).ConfigureAwait(false) is { } stats)
        {
            _traffic[physicalName] = _meter.Observe(physicalName, stats) is { } rates ? Traffic(rates) : null;
        }
    }

    private static LoadBalancerTrafficDto Traffic(TrafficRates rates)
    {
        var members = rates.Members.Select(m => new MemberTrafficDto(
            m.Current.Name, Math.Round(m.RequestsPerSecond, 1), Math.Round(m.ErrorRate * 100, 2), m.Current.LatencyP50.TotalMilliseconds,
            m.Current.LatencyP99.TotalMilliseconds, m.Current.OpenConnections, m.Current.InFlight, m.Current.Ejected)).ToList();
        return new LoadBalancerTrafficDto(
            Math.Round(rates.RequestsPerSecond, 1), Math.Round(rates.ErrorRate * 100, 2), rates.Current.OpenConnections, members);
    }

    /// <summary>
    /// Starts the load balancers not known to be running, without waiting for them: a proxy process takes longer to
    /// come up than a small server, and was the last step of a small <c>up</c> when the pass waited for it. Each start
    /// sets its load balancer's members as soon as it answers (servers that came into service meanwhile included) and
    /// then asks for a pass, which reports a start that failed and tries again.
    /// </summary>
    public async Task StartMissingAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        foreach (var spec in runtime.Desired.Spec.LoadBalancers)
        {
            var state = runtime.State.FindLoadBalancer(spec.Name) ?? await CreateAsync(runtime, spec, ct).ConfigureAwait(false);

            // One that cannot run now (no host for it, or its host unreachable) is tried by each pass, not started anew
            // after each; one whose host can be reached again is started at once.
            var down = _down.ContainsKey(state.PhysicalName) && (state.Host is null || placement.DriverOf(state) is null);
            if (!_instances.ContainsKey(state.PhysicalName) && !_starting.ContainsKey(state.PhysicalName) && !down)
            {
                _starting[state.PhysicalName] = Task.Run(() => StartAsync(runtime, spec, state, ct), CancellationToken.None);
            }
        }
    }

    private async Task StartAsync(DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state, CancellationToken ct)
    {
        string? host = null;
        try
        {
            var (driver, placed, why, _) = await placement.DriverForAsync(runtime, spec, state, ct).ConfigureAwait(false);
            host = placed.Host;
            if (driver is null)
            {
                // Said by the pass this start asks for, which tries it again; starts are not repeated meanwhile.
                _down[state.PhysicalName] = why!;
                return;
            }

            var instance = await driver.EnsureRunningAsync(Definition(runtime, spec, placed), ct).ConfigureAwait(false);
            if (instance.State == LoadBalancerInstanceState.Running && runtime.State.FindLoadBalancer(spec.Name) is { } current)
            {
                _instances[state.PhysicalName] = instance;
                await SetMembersAsync(runtime, spec, current, driver, instance, restarted: true, ct).ConfigureAwait(false);
            }
        }
        catch (ProviderException) when (host is not null)
        {
            // Its host went away while it started: the next pass finds the host unreachable and says so.
            _instances.TryRemove(state.PhysicalName, out _);
        }
        finally
        {
            triggers.Now(runtime.Name);
        }
    }

    public async Task ReconcileAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        foreach (var spec in runtime.Desired.Spec.LoadBalancers)
        {
            var state = runtime.State.FindLoadBalancer(spec.Name) ?? await CreateAsync(runtime, spec, ct).ConfigureAwait(false);
            if (await StartingAsync(state.PhysicalName).ConfigureAwait(false))
            {
                continue;
            }

            await ReconcileOneAsync(runtime, spec, runtime.State.FindLoadBalancer(spec.Name) ?? state, ct).ConfigureAwait(false);
        }

        foreach (var gone in runtime.State.LoadBalancers.Where(l => runtime.Desired.Spec.FindLoadBalancer(l.LogicalName) is null).ToList())
        {
            await StopAsync(runtime, gone, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// True while the load balancer's first start is under way. A finished start is collected: one that threw fails
    /// this pass with its error, which is reported and tried again by the next.
    /// </summary>
    private async Task<bool> StartingAsync(string physicalName)
    {
        if (!_starting.TryGetValue(physicalName, out var start))
        {
            return false;
        }

        if (!start.IsCompleted)
        {
            return true;
        }

        _starting.TryRemove(KeyValuePair.Create(physicalName, start));
        await start.ConfigureAwait(false);
        return false;
    }

    private async Task<LoadBalancerState> CreateAsync(DeploymentRuntime runtime, LoadBalancerSpec spec, CancellationToken ct)
    {
        var name = new NameGenerator(_random, runtime.State.PhysicalNames()).Next(runtime.Name, spec.Name);
        var created = LoadBalancerState.Create(spec, name, ServerPin.NewKey());

        // Looked for again under the runtime's lock: a load balancer is recorded once, whoever records it first.
        var state = await runtime.MutateAsync(
            s => s.FindLoadBalancer(spec.Name) is null ? s with { LoadBalancers = [.. s.LoadBalancers, created] } : s, ct).ConfigureAwait(false);
        return state.FindLoadBalancer(spec.Name)!;
    }

    private async Task ReconcileOneAsync(DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state, CancellationToken ct)
    {
        if (state.PinKey is null)
        {
            // Created before pins were signed: give it a key once, stored before any pin can be made with it.
            state = state with { PinKey = ServerPin.NewKey() };
            var keyed = state;
            await runtime.MutateAsync(s => WithLoadBalancer(s, s.FindLoadBalancer(keyed.LogicalName)! with { PinKey = keyed.PinKey }), ct).ConfigureAwait(false);
        }

        var (driver, placed, why, stuck) = await placement.DriverForAsync(runtime, spec, state, ct).ConfigureAwait(false);
        await StuckAsync(runtime, state, stuck, ct).ConfigureAwait(false);
        if (driver is null)
        {
            _instances.TryRemove(state.PhysicalName, out _);
            _down[state.PhysicalName] = why!;
            await ReportOnceAsync(runtime, state, $"load balancer {spec.Name} is not running: {why}", ct).ConfigureAwait(false);
            return;
        }

        _down.TryRemove(state.PhysicalName, out _);
        state = placed;
        var instance = await driver.EnsureRunningAsync(Definition(runtime, spec, state), ct).ConfigureAwait(false);
        var previous = _instances.GetValueOrDefault(state.PhysicalName);
        _instances[state.PhysicalName] = instance;
        if (instance.State != LoadBalancerInstanceState.Running)
        {
            await ReportOnceAsync(runtime, state, $"load balancer {spec.Name} is not running: {instance.Message}", ct).ConfigureAwait(false);
            return;
        }

        // Members first: a server that just came into service waits for no statistics.
        try
        {
            await SetMembersAsync(runtime, spec, state, driver, instance, previous is null || previous.ProcessId != instance.ProcessId, ct).ConfigureAwait(false);
            await SampleTrafficAsync(driver, instance, state.PhysicalName, ct).ConfigureAwait(false);
        }
        catch (ProviderException ex) when (state.Host is not null)
        {
            // Its host went away during the pass: the next one finds it unreachable, and the load balancer down.
            _instances.TryRemove(state.PhysicalName, out _);
            await ReportOnceAsync(runtime, state, $"load balancer {spec.Name} is not running: {ex.Message}", ct).ConfigureAwait(false);
        }
    }

    public async Task StopAllAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        foreach (var state in runtime.State.LoadBalancers.ToList())
        {
            await StopAsync(runtime, state, ct).ConfigureAwait(false);
        }
    }

    private async Task StopAsync(DeploymentRuntime runtime, LoadBalancerState state, CancellationToken ct)
    {
        // A start under way would otherwise record its instance, and set members, after the stop.
        if (_starting.TryRemove(state.PhysicalName, out var start))
        {
            await start.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await placement.StopAsync(state, ct).ConfigureAwait(false);
        _instances.TryRemove(state.PhysicalName, out _);
        _down.TryRemove(state.PhysicalName, out _);
        _stuck.TryRemove(state.PhysicalName, out _);
        _meter.Forget(state.PhysicalName);
        _traffic.TryRemove(state.PhysicalName, out _);
        await runtime.MutateAsync(s => s with { LoadBalancers = [.. s.LoadBalancers.Where(l => l.PhysicalName != state.PhysicalName)] }, ct).ConfigureAwait(false);
        await events.PublishAsync(runtime.Name, EventKinds.LoadBalancerStopped, $"load balancer {state.LogicalName} stopped", $"loadBalancers.{state.LogicalName}", cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>Records, and says once, why the load balancer cannot leave its host; forgets it once it can.</summary>
    private async Task StuckAsync(DeploymentRuntime runtime, LoadBalancerState state, string? stuck, CancellationToken ct)
    {
        if (stuck is null)
        {
            _stuck.TryRemove(state.PhysicalName, out _);
            return;
        }

        if (_stuck.GetValueOrDefault(state.PhysicalName) != stuck)
        {
            _stuck[state.PhysicalName] = stuck;
            await events.PublishAsync(runtime.Name, EventKinds.LoadBalancerPlaced, $"load balancer {state.LogicalName} stays on host {state.Host}: {stuck}",
                $"loadBalancers.{state.LogicalName}", EventSeverity.Warning, ct).ConfigureAwait(false);
        }
    }

    private async Task ReportOnceAsync(DeploymentRuntime runtime, LoadBalancerState state, string message, CancellationToken ct)
    {
        if (_reported.GetValueOrDefault(state.PhysicalName) != message)
        {
            _reported[state.PhysicalName] = message;
            await events.PublishAsync(runtime.Name, EventKinds.LoadBalancerFailed, message, $"loadBalancers.{state.LogicalName}", EventSeverity.Error, ct).ConfigureAwait(false);
        }
    }

    private static DeploymentState WithLoadBalancer(DeploymentState state, LoadBalancerState lb) =>
        state with { LoadBalancers = [.. state.LoadBalancers.Select(l => l.PhysicalName == lb.PhysicalName ? lb : l)] };
}
