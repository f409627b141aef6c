using System.Collections.Concurrent;
using Strata.Api.Contracts.Events;
using Strata.LoadBalancing;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Each load balancer's members, in rotation or standby, set one change at a time per load balancer, and the drain
/// that takes a server out of every pool before it stops.
/// </summary>
public sealed partial class LoadBalancerCoordinator
{
    // The standby members last given to each load balancer: they are not in the stored pool, which lists rotation only.
    private readonly ConcurrentDictionary<string, string> _standby = new(StringComparer.Ordinal);

    // One change of members at a time per load balancer (by physical name), each read from the state as it is once its
    // turn comes: a pass's change read before a drain and sent after it put the drained server back into rotation.
    // A gate lives as long as the control plane: one small object per load balancer it ever ran.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _membership = new(StringComparer.Ordinal);

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
}
