using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Providers.Probes;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Health;

/// <summary>
/// Probes the servers behind a load balancer that has a <c>health:</c> of its own with that check, one loop per server
/// and load balancer. Its verdict decides only membership (see <see cref="LoadBalancerMembership"/>): a server that fails
/// it leaves that load balancer's rotation but stays in service for its tier and is not replaced for it; the tier's
/// check alone decides that (see <see cref="HealthMonitor"/>).
/// </summary>
public sealed partial class LoadBalancerChecks(ProbeSchedule schedule, EventLog events, TimeProvider time, ILogger<LoadBalancerChecks> logger)
{
    private readonly ConcurrentDictionary<(string Server, string LoadBalancer), CancellationTokenSource> _probes = new();

    // Written by the probe loops, read by reconcile passes: an immutable map swapped atomically.
    private ImmutableDictionary<(string Server, string LoadBalancer), HealthTracker> _trackers = ImmutableDictionary<(string, string), HealthTracker>.Empty;

    /// <summary>Called when a server's verdict for a load balancer changed, so its deployment is reconciled.</summary>
    public event Action<string>? Changed;

    /// <summary>Where <paramref name="server"/> stands with <paramref name="loadBalancer"/>'s own check; null before its first probe.</summary>
    public HealthTracker? Of(string server, string loadBalancer) => Volatile.Read(ref _trackers).GetValueOrDefault((server, loadBalancer));

    /// <summary>
    /// Starts probing a server in service for every load balancer in front of its tier that has its own check. A booting
    /// or unhealthy server is in no rotation whatever this check says, so it is probed once it is in service again.
    /// </summary>
    public void Ensure(DeploymentRuntime runtime, ServerState server, ServerInstance instance)
    {
        if (server.State != ServerStatus.InService)
        {
            return;
        }

        foreach (var balancer in runtime.Desired.Spec.LoadBalancers.Where(l => l.TargetTier == server.Tier && l.Health is not null))
        {
            var key = (server.Name, balancer.Name);
            if (_probes.ContainsKey(key))
            {
                continue;
            }

            var stop = new CancellationTokenSource();
            if (_probes.TryAdd(key, stop))
            {
                _ = Task.Run(() => RunAsync(runtime, server.Name, balancer.Name, instance, stop.Token));
            }
        }
    }

    /// <summary>Stops every probe of a server and forgets its verdicts: a server that is not running is in no rotation.</summary>
    public void Stop(string server)
    {
        foreach (var key in _probes.Keys.Where(k => k.Server == server))
        {
            Forget(key);
        }
    }

    private void Forget((string Server, string LoadBalancer) key)
    {
        if (_probes.TryRemove(key, out var stop))
        {
            stop.Cancel();
            stop.Dispose();
        }

        ImmutableInterlocked.TryRemove(ref _trackers, key, out _);
    }

    private async Task RunAsync(DeploymentRuntime runtime, string name, string loadBalancer, ServerInstance instance, CancellationToken ct)
    {
        var key = (name, loadBalancer);
        (HealthCheckSpec Check, ProbeTarget Target)? probing = null;
        var delay = TimeSpan.Zero;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                // Read each time: an apply may change or remove the check, or retarget the load balancer; a server that
                // left service starts over when it is back.
                var spec = runtime.Desired.Spec.FindLoadBalancer(loadBalancer);
                var tier = spec is null ? null : runtime.Desired.Spec.FindTier(spec.TargetTier);
                if (spec?.Health is not { } check || tier is null || Find(runtime, name) is not { } server || server.Tier != tier.Name)
                {
                    Forget(key);
                    Changed?.Invoke(runtime.Name);
                    return;
                }

                probing = Prepare(runtime, key, tier, spec, check, instance, probing);
                var probed = await schedule.RunAsync(check, probing.Value.Target, delay, ct).ConfigureAwait(false);
                if (Find(runtime, name) is null)
                {
                    // Left service while it waited: the next round forgets it.
                    continue;
                }

                await RecordAsync(runtime, server, loadBalancer, probed.Result, ct).ConfigureAwait(false);
                delay = schedule.NextDelay($"{name}/{loadBalancer}", ServerStatus.InService, check.Interval, time.GetUtcNow());
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped: the server is terminating or failed.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogProbeLoopFailed(logger, ex, name, loadBalancer);
            _probes.TryRemove(key, out _);
        }
    }

    private async Task RecordAsync(DeploymentRuntime runtime, ServerState server, string loadBalancer, ProbeResult result, CancellationToken ct)
    {
        var key = (server.Name, loadBalancer);
        HealthTracker? before;
        HealthTracker after;
        do
        {
            if (!Volatile.Read(ref _trackers).TryGetValue(key, out before))
            {
                return; // Stopped while the probe ran.
            }

            after = before.Record(result);
        }
        while (!ImmutableInterlocked.TryUpdate(ref _trackers, key, after, before));

        if (before.Verdict == after.Verdict)
        {
            return;
        }

        // Off the probe thread this runs on (see ProbeSchedule.RunAsync): the event is written to the state database.
        await Task.Yield();
        Changed?.Invoke(runtime.Name);
        if (before.Verdict == HealthVerdict.Unknown && after.Verdict == HealthVerdict.Healthy)
        {
            // A first pass is said by the membership event; saying it here too would repeat it for every server after
            // each control-plane restart.
            return;
        }

        var (text, severity) = after.Verdict == HealthVerdict.Healthy
            ? ($"{server.Name} passes load balancer {loadBalancer}'s check again and may rejoin its rotation", EventSeverity.Info)
            : ($"{server.Name} is not in load balancer {loadBalancer}'s rotation: its check fails: {after.LastFailure}", EventSeverity.Warning);
        await events.PublishAsync(runtime.Name, EventKinds.LoadBalancerCheck, text, $"loadBalancers.{loadBalancer}", severity, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// What to probe with: a new or changed check starts a new count; a command that could not be resolved yet (a
    /// value it uses is not known) is resolved again.
    /// </summary>
    private (HealthCheckSpec Check, ProbeTarget Target) Prepare(
        DeploymentRuntime runtime, (string, string) key, TierSpec tier, LoadBalancerSpec spec, HealthCheckSpec check, ServerInstance instance,
        (HealthCheckSpec Check, ProbeTarget Target)? probing)
    {
        if (probing is { } current && SameCheck(current.Check, check))
        {
            return current.Target.CommandUnresolved is null ? current : (current.Check, ProbeTarget.For(runtime, tier, current.Check, instance, spec.TargetPort));
        }

        var fresh = new HealthTracker(check.HealthyAfter, check.UnhealthyAfter);
        ImmutableInterlocked.AddOrUpdate(ref _trackers, key, fresh, (_, _) => fresh);
        return (check, ProbeTarget.For(runtime, tier, check, instance, spec.TargetPort));
    }

    /// <summary>The same check as far as probing goes: a re-apply of an unchanged spec keeps the verdicts.</summary>
    private static bool SameCheck(HealthCheckSpec a, HealthCheckSpec b) =>
        (a.Kind, a.Path, a.Port, a.Command?.Raw, a.Interval, a.Timeout, a.HealthyAfter, a.UnhealthyAfter)
        == (b.Kind, b.Path, b.Port, b.Command?.Raw, b.Interval, b.Timeout, b.HealthyAfter, b.UnhealthyAfter);

    private static ServerState? Find(DeploymentRuntime runtime, string name) =>
        runtime.State.Tiers.SelectMany(t => t.Servers).FirstOrDefault(s => s.Name == name && s.State == ServerStatus.InService);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "Probing {Server} for load balancer {LoadBalancer} stopped after an error")]
    private static partial void LogProbeLoopFailed(ILogger logger, Exception exception, string server, string loadBalancer);
}
