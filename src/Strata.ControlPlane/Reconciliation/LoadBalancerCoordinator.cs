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
public sealed class LoadBalancerCoordinator(
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

    // The standby members last given to each load balancer: they are not in the stored pool, which lists rotation only.
    private readonly ConcurrentDictionary<string, string> _standby = new(StringComparer.Ordinal);

    // One change of members at a time per load balancer (by physical name), each read from the state as it is once its
    // turn comes: a pass's change read before a drain and sent after it put the drained server back into rotation.
    // A gate lives as long as the control plane: one small object per load balancer it ever ran.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _membership = new(StringComparer.Ordinal);
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

    /// <summary>Gives the load balancer its members when they changed, or all of them when its process is new.</summary>
    private Task SetMembersAsync(
        DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state, ILoadBalancerDriver driver, LoadBalancerInstance instance, bool restarted, CancellationToken ct) =>
        InTurnAsync(state.PhysicalName, () => SetMembersInTurnAsync(runtime, spec, runtime.State.FindLoadBalancer(spec.Name) ?? state, driver, instance, restarted, ct), ct);

    private async Task SetMembersInTurnAsync(
        DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state, ILoadBalancerDriver driver, LoadBalancerInstance instance, bool restarted, CancellationToken ct)
    {
        var membership = Members(runtime, spec, state);
        var members = membership.Select(m => m.Member).ToList();
        var names = members.Where(m => m.State == MemberState.Active).Select(m => m.Name).ToList();
        var standby = StandbyOf(members);
        var standbyChanged = _standby.GetValueOrDefault(state.PhysicalName) != standby;
        if (restarted || !names.SequenceEqual(state.Members) || state.Url != instance.Url || standbyChanged)
        {
            await driver.SetMembersAsync(instance, members, ct).ConfigureAwait(false);
            _standby[state.PhysicalName] = standby;
            await runtime.MutateAsync(s => WithLoadBalancer(s, (s.FindLoadBalancer(spec.Name) ?? state) with { Members = names, Url = instance.Url }), ct)
                .ConfigureAwait(false);
            if (!names.SequenceEqual(state.Members))
            {
                var text = MembersText(spec, names, [.. membership.Select(m => m.WhyNot).OfType<string>(), .. Unreachable(runtime, spec)]);
                await events.PublishAsync(runtime.Name, EventKinds.LoadBalancerMembers, text, $"loadBalancers.{spec.Name}", cancellationToken: ct).ConfigureAwait(false);
            }
        }
    }

    private static string StandbyOf(IEnumerable<Member> members) =>
        string.Join(',', members.Where(m => m.State == MemberState.Standby).Select(m => $"{m.Name}@{m.Address}"));

    /// <summary>Runs <paramref name="change"/> of a load balancer's members in its turn: one change at a time per load balancer.</summary>
    private async Task InTurnAsync(string physicalName, Func<Task> change, CancellationToken ct)
    {
        var gate = _membership.GetOrAdd(physicalName, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await change().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Servers in service (and passing the load balancer's own check) are members in rotation; servers that run but
    /// are not in rotation are standby members, reachable only by a pin signed for any state, so QA can try a new
    /// server before it joins. Each comes with why it is out of rotation when its own check is the reason, judged
    /// from the same verdict as its state. Servers that cannot be reached are left out (see <see cref="Unreachable"/>).
    /// </summary>
    private List<(Member Member, string? WhyNot)> Members(DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state) =>
        [.. Running(runtime, spec)
            .Where(s => reach.WhyUnreachable(s.Name) is null)
            .Select(s =>
            {
                var (check, isMember) = (checks.Of(s.Name, spec.Name), state.Members.Contains(s.Name));
                var member = new Member
                {
                    Name = s.Name, Address = s.Address!, Port = spec.TargetPort,
                    State = LoadBalancerMembership.StateOf(s, spec, check, isMember),
                };
                return (member, LoadBalancerMembership.WhyNot(s, spec, check, isMember));
            })];

    /// <summary>Why running servers of the load balancer's tier are left out of it because they cannot be reached.</summary>
    private List<string> Unreachable(DeploymentRuntime runtime, LoadBalancerSpec spec) =>
        [.. Running(runtime, spec).Select(s => reach.WhyUnreachable(s.Name)).OfType<string>()];

    private static IEnumerable<ServerState> Running(DeploymentRuntime runtime, LoadBalancerSpec spec) =>
        (runtime.State.FindTier(spec.TargetTier)?.Servers ?? [])
            .Where(s => (s.State is ServerStatus.InService or ServerStatus.Booting or ServerStatus.Unhealthy) && s.Address is not null)
            .OrderBy(s => s.Name, StringComparer.Ordinal);

    /// <summary>Why servers are out of a load balancer's rotation because of its own check or their host; null when none is.</summary>
    public string? OutOfRotation(DeploymentRuntime runtime, LoadBalancerState state) =>
        runtime.Desired.Spec.FindLoadBalancer(state.LogicalName) is { } spec
        && Members(runtime, spec, state).Select(m => m.WhyNot).OfType<string>().Concat(Unreachable(runtime, spec)).ToList() is { Count: > 0 } reasons
            ? string.Join("; ", reasons)
            : null;

    /// <summary>"front now sends to web-1 (web-2 fails front's check: GET /ready answered 503)".</summary>
    private static string MembersText(LoadBalancerSpec spec, List<string> names, List<string> outside)
    {
        var text = $"{spec.Name} now sends to {(names.Count == 0 ? "no servers" : string.Join(", ", names))}";
        return outside.Count == 0 ? text : $"{text} ({string.Join("; ", outside)})";
    }

    private static LoadBalancerDefinition Definition(DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state) =>
        DefinitionOf(runtime.Desired.Spec, spec, state.PhysicalName, runtime.Name, state.Address ?? spec.ListenHost, spec.ListenPort, state.PinKey);

    /// <summary>What the drivers run for <paramref name="spec"/> of <paramref name="deployment"/>, listening at <paramref name="listenHost"/>:<paramref name="listenPort"/>.</summary>
    internal static LoadBalancerDefinition DefinitionOf(
        DeploymentSpec deployment, LoadBalancerSpec spec, string id, string deploymentName, string listenHost, int listenPort, string? pinKey) => new()
    {
        Id = id,
        Deployment = deploymentName,
        ListenHost = listenHost,
        ListenPort = listenPort,
        Algorithm = BalancingAlgorithmOf(spec.Algorithm),
        DrainTimeout = spec.DrainTimeout,
        Sticky = spec.Sticky,
        PinKey = pinKey,
        MaxConnections = spec.MaxConnections,
        ResponseHeaderTimeout = spec.ResponseHeaderTimeout,
        MaxRequestBodyBytes = spec.MaxRequestBodyBytes,
        BackendProtocol = deployment.FindTier(spec.TargetTier)?.Protocol == TierProtocol.H2c ? BackendProtocol.H2c : BackendProtocol.Http1,
        Tls = spec.Tls is { } tls
            ? new TlsSettings
            {
                CertificatePath = Path.GetFullPath(Path.Combine(deployment.BaseDirectory, tls.Certificate)),
                KeyPath = Path.GetFullPath(Path.Combine(deployment.BaseDirectory, tls.Key)),
            }
            : null,
    };

    /// <summary>The driver's name for the spec's algorithm, mapped by meaning: the two enums are declared apart.</summary>
    internal static BalancingAlgorithm BalancingAlgorithmOf(LoadBalancingAlgorithm algorithm) => algorithm switch
    {
        LoadBalancingAlgorithm.RoundRobin => BalancingAlgorithm.RoundRobin,
        LoadBalancingAlgorithm.LeastConnections => BalancingAlgorithm.LeastConnections,
        LoadBalancingAlgorithm.SourceHash => BalancingAlgorithm.SourceHash,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "no load-balancing algorithm of the drivers matches this one"),
    };

    /// <summary>
    /// Takes a server out of every pool it is in and waits (up to the drain timeout) for its requests to finish. Each
    /// pool's change is told at once, with <paramref name="reason"/>: the next reconcile pass finds the members as the
    /// state has them and would say nothing.
    /// </summary>
    public async Task DrainAsync(DeploymentRuntime runtime, string server, string reason, CancellationToken ct)
    {
        foreach (var state in runtime.State.LoadBalancers.Where(l => l.Members.Contains(server)).ToList())
        {
            var spec = runtime.Desired.Spec.FindLoadBalancer(state.LogicalName);
            if (spec is null || !_instances.TryGetValue(state.PhysicalName, out var instance))
            {
                continue;
            }

            if (placement.DriverOf(state) is not { } driver)
            {
                continue;
            }

            try
            {
                await InTurnAsync(state.PhysicalName, () => TakeOutAsync(runtime, spec, state, driver, instance, server, reason, ct), ct).ConfigureAwait(false);
                await driver.WaitUntilDrainedAsync(instance, server, spec.DrainTimeout, time, ct).ConfigureAwait(false);
            }
            catch (ProviderException) when (state.Host is not null)
            {
                // A load balancer whose host went away sends the server nothing more; the server may stop.
            }
        }
    }

    /// <summary>Takes the server out of one load balancer's members, in its turn (see <see cref="InTurnAsync"/>), and says so.</summary>
    private async Task TakeOutAsync(
        DeploymentRuntime runtime, LoadBalancerSpec spec, LoadBalancerState state, ILoadBalancerDriver driver, LoadBalancerInstance instance,
        string server, string reason, CancellationToken ct)
    {
        // From the members as they are when the state changes, not as the drain began: a pass may have added a server
        // meanwhile (the replacement of the one drained), which must stay, and be told.
        var changed = await runtime.MutateAsync(s =>
        {
            var current = s.FindLoadBalancer(state.LogicalName) ?? state;
            return WithLoadBalancer(s, current with { Members = [.. current.Members.Where(m => m != server)] });
        }, ct).ConfigureAwait(false);
        var now = changed.FindLoadBalancer(state.LogicalName) ?? state;
        var members = Members(runtime, spec, now).Select(m => m.Member).Where(m => m.Name != server).ToList();
        await driver.SetMembersAsync(instance, members, ct).ConfigureAwait(false);
        _standby[state.PhysicalName] = StandbyOf(members);

        // What the load balancer now sends to, as it was just told, is what the state says it sends to: a server that
        // came into service meanwhile is a member from now on, not from the next pass (which would say so again).
        var rotation = members.Where(m => m.State == MemberState.Active).Select(m => m.Name).ToList();
        await runtime.MutateAsync(s => WithLoadBalancer(s, (s.FindLoadBalancer(state.LogicalName) ?? now) with { Members = rotation }), ct).ConfigureAwait(false);
        await events.PublishAsync(runtime.Name, EventKinds.LoadBalancerMembers, MembersText(spec, rotation, [$"{server} drained: {reason}"]),
            $"loadBalancers.{spec.Name}", cancellationToken: ct).ConfigureAwait(false);
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
