using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Providers.Probes;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Health;

/// <summary>
/// Probes every running server on its tier's interval (a booting one more often, see
/// <see cref="ControlPlaneOptions.BootProbeInterval"/>), spread over the interval and bounded in number by
/// <see cref="ProbeSchedule"/>, and moves it between booting, in service and unhealthy as
/// the thresholds are crossed. A booting server that does not pass within the check's grace period fails. The checks
/// of the load balancers in front of its tier start and stop with it (see <see cref="LoadBalancerChecks"/>).
/// </summary>
public sealed partial class HealthMonitor(
    ProbeSchedule schedule, LoadBalancerChecks loadBalancerChecks, IServerFailures failures, IHostedProbes hosted, EventLog events, TimeProvider time,
    ILogger<HealthMonitor> logger)
{
    /// <summary>
    /// How long a loop whose check runs on the server's host waits for a result before it looks again at the server
    /// (a result that stays alike is not sent). Only a net: the host's silence and a refusal wake the loop at once, a
    /// check changed in place wakes it at the next pass (see <see cref="Ensure"/>), and a booting server is looked at
    /// every interval, for its grace. Every server in service waits this way, so a short wait costs an idle control
    /// plane with many servers a wake-up per server per wait (about a quarter of its processor time at 30 s with 200).
    /// </summary>
    internal static readonly TimeSpan HostedQuietWait = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, ProbeLoop> _probes = new(StringComparer.Ordinal);

    /// <summary>Called after a server's state changed through a health verdict, so its deployment is reconciled.</summary>
    public event Action<string>? Changed;

    public void Ensure(DeploymentRuntime runtime, ServerState server, ServerInstance instance)
    {
        loadBalancerChecks.Ensure(runtime, server, instance);
        var check = runtime.Desired.Spec.FindTier(server.Tier)?.Health;
        if (_probes.TryGetValue(server.Name, out var running))
        {
            // A check changed or removed in place reaches the host now, not at the end of a quiet wait: the loop ends
            // at its next turn when the tier has no check any more.
            if (running.Watched is { } watched && watched != check)
            {
                running.Wake();
            }

            return;
        }

        if (check is null)
        {
            return;
        }

        var loop = new ProbeLoop(time.GetUtcNow());
        if (_probes.TryAdd(server.Name, loop))
        {
            _ = Task.Run(() => RunAsync(runtime, server, check, instance, loop));
        }
    }

    public void Stop(string server)
    {
        loadBalancerChecks.Stop(server);
        Abandon(server);
    }

    /// <summary>
    /// When the server's probe loop last finished a probe (or started, before its first): null when no loop runs.
    /// A loop whose last probe is older than its interval and timeout is stuck, whatever it waits for.
    /// </summary>
    public DateTimeOffset? LastProbe(string server) => _probes.TryGetValue(server, out var loop) ? (loop.WaitingOnHost ? time.GetUtcNow() : loop.LastBeat) : null;

    /// <summary>
    /// Gives up the server's probe loop (not its load balancers' checks), so the next <see cref="Ensure"/> starts a
    /// new one: the repair for a loop that stopped making progress.
    /// </summary>
    public void Abandon(string server)
    {
        if (_probes.TryRemove(server, out var loop))
        {
            loop.Stop.Cancel();
            loop.Stop.Dispose();
        }
    }

    private static ProbeTarget Target(DeploymentRuntime runtime, ServerState server, ServerInstance instance) =>
        ProbeTarget.For(runtime, runtime.Desired.Spec.FindTier(server.Tier)!, instance);

    /// <summary>
    /// Probes once in a slot of the <see cref="ProbeSchedule"/>; null when the result is inconclusive: a timeout that
    /// the control plane's own delay explains blames nobody, and the server is probed again.
    /// </summary>
    private async Task<ProbeResult?> ProbeAsync(HealthCheckSpec check, ProbeTarget target, TimeSpan delay, ProbeLoop loop, CancellationToken ct)
    {
        var due = time.GetUtcNow() + delay;
        var probed = await schedule.RunAsync(check, target, delay, ct).ConfigureAwait(false);
        loop.LastBeat = probed.Finished;
        return ProbeTiming.IsInconclusive(probed.Result, probed.Started - due, probed.Finished - probed.Started, check.Timeout) ? null : probed.Result;
    }

    private async Task RunAsync(DeploymentRuntime runtime, ServerState launched, HealthCheckSpec check, ServerInstance instance, ProbeLoop loop)
    {
        var name = launched.Name;
        var ct = loop.Stop.Token;
        try
        {
            await ProbeUntilDoneAsync(runtime, launched, check, instance, loop, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped: the server is terminating or failed.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogProbeLoopFailed(logger, ex, name);
        }
        finally
        {
            // A loop that ends by itself (the server was not probeable, or an error) gives up its entry, so the next
            // pass's Ensure starts another: a stale entry left a booting server with no probe and no grace deadline.
            loop.Watch?.Dispose();
            if (_probes.TryRemove(KeyValuePair.Create(name, loop)))
            {
                loop.Stop.Dispose();
            }
        }
    }

    /// <summary>
    /// Probes the server and applies each verdict until the loop is stopped, the server's tier has no check any more, or
    /// the server is no longer booting, in service or unhealthy.
    /// </summary>
    private async Task ProbeUntilDoneAsync(DeploymentRuntime runtime, ServerState launched, HealthCheckSpec check, ServerInstance instance, ProbeLoop loop, CancellationToken ct)
    {
        var name = launched.Name;
        var tracker = new HealthTracker(check.HealthyAfter, check.UnhealthyAfter);
        ProbeTarget? target = null;
        var delay = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            // A check changed in place (strata up: "settings changed in place") applies from the next probe on.
            if (runtime.Desired.Spec.FindTier(launched.Tier)?.Health is not { } current)
            {
                return;
            }

            if (current != check)
            {
                check = current;
                tracker = tracker with { HealthyAfter = check.HealthyAfter, UnhealthyAfter = check.UnhealthyAfter };
                target = null;
            }

            // Resolved once; again only while a value the command uses is not known yet (a peer still booting).
            target = target is { CommandUnresolved: null } ? target : Target(runtime, launched, instance);
            var before = tracker.Verdict;
            if (await NextResultAsync(check, target, delay, loop, ct).ConfigureAwait(false) is { } result)
            {
                tracker = tracker.Record(result);
            }

            if (Find(runtime, launched.Tier, name) is not { } server)
            {
                return;
            }

            loop.State = await ApplyAsync(runtime, server, check, before, tracker, loop.Started, ct).ConfigureAwait(false);
            delay = schedule.NextDelay(name, loop.State, check.Interval, time.GetUtcNow());
        }
    }

    /// <summary>
    /// Moves the server as the verdict says and returns its state afterwards. A booting server's grace runs from its
    /// launch, or from when this control plane began to watch it if that is later: a server adopted after the control
    /// plane was down is not blamed for the time no one probed it.
    /// </summary>
    private async Task<ServerStatus> ApplyAsync(
        DeploymentRuntime runtime, ServerState server, HealthCheckSpec check, HealthVerdict before, HealthTracker tracker, DateTimeOffset watchedSince, CancellationToken ct)
    {
        var next = (server.State, tracker.Verdict) switch
        {
            (ServerStatus.Booting or ServerStatus.Unhealthy, HealthVerdict.Healthy) => ServerStatus.InService,
            (ServerStatus.InService, HealthVerdict.Unhealthy) when before != HealthVerdict.Unhealthy => ServerStatus.Unhealthy,
            _ => server.State,
        };

        if (next == server.State)
        {
            if (server.State == ServerStatus.Booting && time.GetUtcNow() - Max(server.LaunchedAt, watchedSince) > check.Grace)
            {
                // Off the probe thread this runs on (see ProbeSchedule.RunAsync): recording a failure writes the state.
                await Task.Yield();
                Stop(server.Name);
                await FailAsync(runtime, server, $"the health check did not pass within {check.Grace.TotalSeconds:0}s: {tracker.LastFailure ?? "no answer"}").ConfigureAwait(false);
            }

            return server.State;
        }

        // Off the probe thread this runs on (see ProbeSchedule.RunAsync): the change is written to the state.
        await Task.Yield();
        var message = next == ServerStatus.Unhealthy ? tracker.LastFailure : null;
        if (!await WriteStateAsync(runtime, server, next, message, ct).ConfigureAwait(false))
        {
            return server.State;
        }

        var text = next == ServerStatus.InService ? $"{server.Name} is in service" : $"{server.Name} is unhealthy: {message}";
        await events.PublishAsync(runtime.Name, EventKinds.ServerState, text, EventSubject.OfServer(server.Tier, server.Name, server.State, next),
            next == ServerStatus.InService ? EventSeverity.Info : EventSeverity.Warning, ct).ConfigureAwait(false);
        Changed?.Invoke(runtime.Name);
        return next;
    }

    /// <summary>Records the server's new state; false when the server had moved meanwhile, so the verdict no longer applies.</summary>
    private async Task<bool> WriteStateAsync(DeploymentRuntime runtime, ServerState server, ServerStatus next, string? message, CancellationToken ct)
    {
        var applied = false;
        await runtime.MutateAsync(s =>
        {
            // The verdict was judged against the server as it was when the probe started; if the reconciler has moved it
            // since (terminating, failed), that move stands. Writing back the older copy would resurrect a server whose
            // process is being stopped, and the next pass would then fail it for being gone.
            if (s.FindServer(server.Tier, server.Name) is not { } current || current.State != server.State)
            {
                return s;
            }

            applied = true;
            return s.WithServer(current with { State = next, Message = message }, time.GetUtcNow());
        }, ct).ConfigureAwait(false);
        return applied;
    }

    /// <summary>Reports a server the check gave up on; its deployment is reconciled then, even if failing it threw.</summary>
    private async Task FailAsync(DeploymentRuntime runtime, ServerState server, string message)
    {
        try
        {
            // The loop's own token is cancelled by now: the failure is recorded whatever happens to the loop.
            await failures.FailAsync(runtime, server, message, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Changed?.Invoke(runtime.Name);
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static ServerState? Find(DeploymentRuntime runtime, string tier, string name) =>
        runtime.State.FindTier(tier)?.Servers.FirstOrDefault(s => s.Name == name && s.State is ServerStatus.Booting or ServerStatus.InService or ServerStatus.Unhealthy);

    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "Health probing of {Server} stopped after an error")]
    private static partial void LogProbeLoopFailed(ILogger logger, Exception exception, string server);
}
