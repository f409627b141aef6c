using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Hosting;
using Strata.Planning.Images;
using Strata.Planning.Naming;
using Strata.Planning.State;
using Strata.Planning.Tiers;
using Strata.Providers;
using Strata.Spec.Model;
using Strata.Spec.Validation;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Brings one deployment closer to its spec in a single pass: records what it observes, starts launches and
/// terminations as background operations (recorded in the state before they run, so a restart repeats them
/// idempotently), and sets load-balancer membership from health. Passes are cheap and repeatable.
/// </summary>
public sealed partial class DeploymentReconciler(
    ICloudProvider provider,
    ServerVolumes volumes,
    ImageCatalog images,
    LoadBalancerCoordinator loadBalancers,
    HealthMonitor health,
    ServerShutdown shutdown,
    DeathVerdicts deaths,
    LaunchPacer pacer,
    EventLog events,
    IOptions<ControlPlaneOptions> options,
    TimeProvider time,
    ILogger<DeploymentReconciler> logger)
{
    private readonly ServerOperations _operations = new();
    private readonly Random _random = new();

    /// <summary>Raised when a background operation finished and the deployment should be looked at again.</summary>
    public event Action<string>? Changed;

    public async Task ReconcileAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        var observed = (await provider.ListServersAsync(runtime.Name, ct).ConfigureAwait(false)).ToDictionary(s => s.Id, StringComparer.Ordinal);
        await ObserveAsync(runtime, observed, ct).ConfigureAwait(false);
        pacer.Settle(runtime.Name, runtime.State);
        deaths.Settle(runtime.Name, runtime.State, observed);
        if (runtime.IsDeleting)
        {
            await TearDownAsync(runtime, ct).ConfigureAwait(false);
            return;
        }

        await images.EnsureAsync(runtime, ct).ConfigureAwait(false);
        var starting = await loadBalancers.StartMissingAsync(runtime, ct).ConfigureAwait(false);
        try
        {
            foreach (var tier in OrderedTiers(runtime.Desired.Spec))
            {
                await ReconcileTierAsync(runtime, tier, ct).ConfigureAwait(false);
            }

            await RemoveTiersNotInSpecAsync(runtime, ct).ConfigureAwait(false);
        }
        finally
        {
            // Only waits: a start that failed is reported by the reconcile below, which tries again.
            await Task.WhenAny(starting).ConfigureAwait(false);
        }

        await loadBalancers.ReconcileAsync(runtime, ct).ConfigureAwait(false);
        await TerminateOrphansAsync(runtime, observed, ct).ConfigureAwait(false);
    }

    /// <summary>Tiers in dependency order: a tier comes after the tiers whose servers it refers to.</summary>
    private static IEnumerable<TierSpec> OrderedTiers(DeploymentSpec spec) =>
        DependencyGraph.ResourceOrder(spec)
            .Where(r => r.StartsWith("tiers.", StringComparison.Ordinal))
            .Select(r => spec.FindTier(r["tiers.".Length..]))
            .OfType<TierSpec>();

    /// <summary>True while launches or terminations of the deployment are still running.</summary>
    public bool HasOperations(DeploymentRuntime runtime) =>
        runtime.State.Tiers.SelectMany(t => t.Servers).Any(s => _operations.IsBusy(s.Name));

    /// <summary>True while a launch or termination of the server is under way: it has an owner.</summary>
    public bool IsBusy(string server) => _operations.IsBusy(server);

    private async Task ObserveAsync(DeploymentRuntime runtime, Dictionary<string, ServerInstance> observed, CancellationToken ct)
    {
        foreach (var server in runtime.State.Tiers.SelectMany(t => t.Servers).ToList())
        {
            if (_operations.IsBusy(server.Name))
            {
                continue;
            }

            observed.TryGetValue(server.Name, out var instance);
            switch (server.State)
            {
                case ServerStatus.Pending when !LaunchGate.MayStart(runtime, server, time.GetUtcNow()):
                    break;
                case ServerStatus.Pending or ServerStatus.Configuring:
                    StartLaunch(runtime, server);
                    break;
                case ServerStatus.Terminating:
                    StartTermination(runtime, server, "resuming an interrupted termination");
                    break;
                case ServerStatus.Booting or ServerStatus.InService or ServerStatus.Unhealthy when instance?.State != ServerInstanceState.Running:
                    await ConfirmDeathAsync(runtime, server, ct).ConfigureAwait(false);
                    break;
                case ServerStatus.Failed when DeathVerdicts.WronglyFailed(server, instance, runtime.State.Volumes.Any(v => v.Tier == server.Tier)):
                    await RecoverAsync(runtime, server, instance!, ct).ConfigureAwait(false);
                    break;
                case ServerStatus.Booting or ServerStatus.InService or ServerStatus.Unhealthy:
                    health.Ensure(runtime, server, instance!);
                    break;
            }
        }
    }

    /// <summary>Fails a server the listing showed not running once a second look confirms it; one that runs is probed.</summary>
    private async Task ConfirmDeathAsync(DeploymentRuntime runtime, ServerState server, CancellationToken ct)
    {
        var verdict = await deaths.JudgeAsync(runtime.Name, server, ct).ConfigureAwait(false);
        if (verdict.Running is { } running)
        {
            health.Ensure(runtime, server, running);
        }
        else if (verdict.Death is { } death)
        {
            await MarkFailedAsync(runtime, server with { Failure = FailureCause.ProcessGone }, death, ct).ConfigureAwait(false);
        }
        else
        {
            _ = Task.Delay(options.Value.DeathConfirmation, time, CancellationToken.None).ContinueWith(_ => Changed?.Invoke(runtime.Name), TaskScheduler.Default);
        }
    }

    /// <summary>A server failed as gone whose process runs after all goes back to booting, and is probed again.</summary>
    private async Task RecoverAsync(DeploymentRuntime runtime, ServerState server, ServerInstance instance, CancellationToken ct)
    {
        var recovered = server with { State = ServerStatus.Booting, Failure = null, Message = null, Address = instance.Address, ProcessId = instance.ProcessId };
        await SetServerAsync(runtime, recovered, ct).ConfigureAwait(false);
        await events.PublishAsync(runtime.Name, EventKinds.ServerState, $"{server.Name} runs after all (pid {instance.ProcessId}); recovered, booting",
            EventSubject.OfServer(server.Tier, server.Name, ServerStatus.Failed, ServerStatus.Booting),
            EventSeverity.Warning, ct).ConfigureAwait(false);
        health.Ensure(runtime, recovered, instance);
    }

    private async Task ReconcileTierAsync(DeploymentRuntime runtime, TierSpec tier, CancellationToken ct)
    {
        var tierState = runtime.State.FindTier(tier.Name);
        if (tierState is null)
        {
            return;
        }

        await PruneFailedAsync(runtime, tierState, ct).ConfigureAwait(false);
        if (tierState.Servers.Count(s => s.State == ServerStatus.InService) >= tierState.Count.Desired)
        {
            // Back at full strength: earlier launch failures no longer describe the tier.
            runtime.ClearLaunchFailures(tier.Name);
        }

        if (LaunchGate.WaitingFor(runtime.Desired.Spec, runtime.State, tier) is { } dependency)
        {
            await SetTierMessageAsync(runtime, tier.Name, $"waiting for the servers of tier '{dependency}' to be in service", ct).ConfigureAwait(false);
            return;
        }

        runtime.ClearWaiting(tier.Name);

        var desired = runtime.Desired;
        var target = new TierTarget(desired.ImageDigest(tier), desired.LaunchDigest(tier), tierState.Count.Desired, tier.Update,
            References.DigestOf(runtime, tier), Rollouts.MaxNew(tierState.Rollout))
        {
            RecoveryDelay = tier.RecoveryDelay, MaxAge = tier.MaxAge, MaxReplacing = Math.Max(1, tier.MaxReplacing.Resolve(tierState.Count.Desired)),
        };
        if (tierState.Rollout is { } rollout && !await StepRolloutAsync(runtime, tierState, rollout, target, ct).ConfigureAwait(false))
        {
            return;
        }

        runtime.Failures.TryGetValue(tier.Name, out var failures);
        var now = time.GetUtcNow();
        var actions = TierDecision.Decide(target, tierState.Servers, failures is null || now >= failures.NotBefore, now);
        if (runtime.SetOverloaded(tier.Name, actions.HeldBack > 0))
        {
            var unhealthy = tierState.Servers.Count(s => s.State == ServerStatus.Unhealthy);
            await events.PublishAsync(runtime.Name, OverloadedKind,
                $"tier {tier.Name} is overloaded: {unhealthy} servers fail their health check while their processes run; {actions.HeldBack} are not replaced (maxReplacing is {target.MaxReplacing}), they stay out of rotation and are probed until they recover",
                EventSubject.OfTier(tier.Name), EventSeverity.Warning, ct).ConfigureAwait(false);
        }

        foreach (var termination in actions.Terminate)
        {
            var server = tierState.Servers.First(s => s.Name == termination.Server);
            await SetServerAsync(runtime, server with { State = ServerStatus.Terminating, Message = termination.Reason, Termination = termination.Cause }, ct).ConfigureAwait(false);
            StartTermination(runtime, server, termination.Reason);
        }

        if (actions.Launch > 0)
        {
            await LaunchNewAsync(runtime, tier, target, actions.Launch, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Moves a tier's rollout on; false when the pass must stop because a rollback began.</summary>
    private async Task<bool> StepRolloutAsync(DeploymentRuntime runtime, TierState tier, RolloutState rollout, TierTarget target, CancellationToken ct)
    {
        var step = Rollouts.Step(rollout, tier, target, time.GetUtcNow());
        if (step.RollbackReason is { } reason)
        {
            await RollBackAsync(runtime, $"tier {tier.LogicalName}: {reason}", ct).ConfigureAwait(false);
            return false;
        }

        if (!ReferenceEquals(step.Next, rollout))
        {
            await runtime.MutateAsync(s => s.FindTier(tier.LogicalName) is { } t ? s.WithTier(t with { Rollout = step.Next }) : s, ct).ConfigureAwait(false);
            await events.PublishAsync(runtime.Name, EventKinds.TierRollout, step.Event!, EventSubject.OfTier(tier.LogicalName), cancellationToken: ct).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Makes the previous apply desired again and starts rolling every changed tier back to it.</summary>
    public async Task<RollbackResult> RollBackAsync(DeploymentRuntime runtime, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var rolledBack = await runtime.RollbackAsync(reason, (state, from, to) => Rollouts.RollBack(state, from, to, reason, now), ct).ConfigureAwait(false);
        var message = rolledBack ? $"rolling back to the previous apply: {reason}" : $"cannot roll back, there is no previous apply: {reason}";
        var result = rolledBack ? RollbackResult.RolledBack : RollbackResult.NoPreviousApply;
        await events.PublishAsync(runtime.Name, EventKinds.DeploymentRollback, message, EventSubject.OfRollback(result), EventSeverity.Warning, ct).ConfigureAwait(false);
        return result;
    }

    private async Task LaunchNewAsync(DeploymentRuntime runtime, TierSpec tier, TierTarget target, int count, CancellationToken ct)
    {
        var names = new NameGenerator(_random, runtime.State.PhysicalNames());
        var zones = TierZones.Of(tier, provider.Zones[0]);
        var added = new List<ServerState>();
        var state = await runtime.MutateAsync(s =>
        {
            var tierState = s.FindTier(tier.Name)!;
            var servers = tierState.Servers.ToList();
            for (var i = 0; i < count; i++)
            {
                var server = new ServerState
                {
                    Name = names.Next(runtime.Name, tier.Name),
                    Tier = tier.Name,
                    Zone = LeastUsedZone(zones, servers),
                    State = ServerStatus.Pending,
                    ImageDigest = target.ImageDigest,
                    LaunchDigest = target.LaunchDigest,
                    LaunchedAt = time.GetUtcNow(),
                };
                servers.Add(server);
                added.Add(server);
            }

            return s.WithTier(tierState with { Servers = servers });
        }, ct).ConfigureAwait(false);

        foreach (var server in added)
        {
            StartLaunch(runtime, server);
        }
    }

    private static string LeastUsedZone(IReadOnlyList<string> zones, List<ServerState> servers) =>
        zones.OrderBy(z => servers.Count(s => s.IsLive && s.Zone == z)).ThenBy(z => zones.ToList().IndexOf(z)).First();

    private void StartLaunch(DeploymentRuntime runtime, ServerState server) =>
        Track(runtime, server.Name, async () =>
        {
            try
            {
                await LaunchAsync(runtime, server).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A launch that throws leaves its server pending: without a wait it would be retried at once, in a loop.
                await BackOffLaunchesAsync(runtime, server.Tier, ex.Message, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        });

    private void StartTermination(DeploymentRuntime runtime, ServerState server, string reason) =>
        Track(runtime, server.Name, () => TerminateAsync(runtime, server, reason));

    private void Track(DeploymentRuntime runtime, string key, Func<Task> operation) =>
        _operations.Start(key, async () =>
        {
            try
            {
                await operation().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogOperationFailed(logger, ex, key);
                await events.PublishAsync(runtime.Name, EventKinds.ServerError, ex.Message, new EventSubject { Resource = key, Server = key }, EventSeverity.Error).ConfigureAwait(false);
            }
        }, () => Changed?.Invoke(runtime.Name));

    private async Task LaunchAsync(DeploymentRuntime runtime, ServerState server)
    {
        var ct = CancellationToken.None;
        var desired = runtime.DesiredFor(server);
        var tier = desired.Spec.FindTier(server.Tier);
        if (tier is null)
        {
            return;
        }

        if (VolumeBook.HeldForReplacement(runtime.State, tier, server.Name) is not null)
        {
            // The server it replaces still has the volume; the launch goes on once that server is fenced and gone.
            return;
        }

        if (!await pacer.EnterAsync(runtime, server, ct).ConfigureAwait(false))
        {
            return;
        }

        var attached = await volumes.AttachAsync(runtime, tier, server, ct).ConfigureAwait(false);
        server = server with { ReferenceDigest = References.DigestOf(runtime.Desired, runtime.State, tier) };
        string? launchedDigest = null;
        var request = new LaunchRequest
        {
            ServerId = server.Name,
            Deployment = runtime.Name,
            Tier = tier.Name,
            Zone = server.Zone,
            Image = await images.GetAsync(runtime, desired, tier.Image, ct).ConfigureAwait(false),
            Volumes = attached,
            Ports = [.. tier.Ports.Select(p => p.Port)],
            Settings = identity =>
            {
                // The digest is of the very state the settings are resolved from, so the server is current with what it got.
                var state = runtime.State;
                launchedDigest = References.DigestOf(runtime.Desired, state, tier);
                return LaunchSettingsBuilder.Build(desired, state, tier, identity);
            },
        };
        // Configuring and booting are not waited for in the store: after a crash the launch resumes from pending.
        runtime.Amend(s => ReplaceServer(s, server with { State = ServerStatus.Configuring }, time.GetUtcNow()));
        var instance = await provider.LaunchAsync(request, ct).ConfigureAwait(false);
        server = server with { ReferenceDigest = launchedDigest ?? server.ReferenceDigest };
        await RecordLaunchAsync(runtime, tier, server, instance, ct).ConfigureAwait(false);
    }

    private async Task RecordLaunchAsync(DeploymentRuntime runtime, TierSpec tier, ServerState server, ServerInstance instance, CancellationToken ct)
    {
        if (instance.State != ServerInstanceState.Running)
        {
            await MarkFailedAsync(runtime, server with { Address = instance.Address }, instance.Message ?? $"the launch ended {instance.State}", ct).ConfigureAwait(false);
            return;
        }

        // Without a health check a running process is in service; with one it boots until the check passes.
        var next = server with
        {
            Address = instance.Address,
            ProcessId = instance.ProcessId,
            LaunchedAt = instance.LaunchedAt,
            State = tier.Health is null ? ServerStatus.InService : ServerStatus.Booting,
            Message = null,
        };
        runtime.Amend(s => ReplaceServer(s, next, time.GetUtcNow()));
        await events.PublishAsync(runtime.Name, EventKinds.ServerState, $"{server.Name} launched at {instance.Address} (pid {instance.ProcessId}); {Describe(next.State)}", EventSubject.OfServer(server.Tier, server.Name, server.State, next.State), cancellationToken: ct).ConfigureAwait(false);
        health.Ensure(runtime, next, instance);
    }

    private static string Describe(ServerStatus state) => state == ServerStatus.InService ? "in service" : "booting";

    public async Task MarkFailedAsync(DeploymentRuntime runtime, ServerState server, string message, CancellationToken ct)
    {
        health.Stop(server.Name);
        await SetServerAsync(runtime, server with { State = ServerStatus.Failed, Message = message }, ct).ConfigureAwait(false);

        // The main process is gone, but what it started may still write to the volume: fence the whole server first.
        // Should that fail, the volumes stay with it and its replacement waits for them.
        if (runtime.State.Volumes.Any(v => v.Server == server.Name))
        {
            await provider.FenceAsync(server.Name, ct).ConfigureAwait(false);
        }

        // Nothing of it runs: its replacement takes over its volumes, so the data survives.
        await runtime.MutateAsync(s => s.Volumes.Any(v => v.Server == server.Name)
            ? s with { Volumes = [.. s.Volumes.Select(v => v.Server == server.Name ? v with { Server = null } : v)] }
            : s, ct).ConfigureAwait(false);
        await events.PublishAsync(runtime.Name, EventKinds.ServerFailed, $"{server.Name} failed: {message}", EventSubject.OfServer(server.Tier, server.Name, server.State, ServerStatus.Failed), EventSeverity.Error, ct).ConfigureAwait(false);
        if (WasStable(server))
        {
            // A server that served and then died is replaced at once (after the recovery delay): only launches
            // that fail make a tier back off.
            return;
        }

        await BackOffLaunchesAsync(runtime, server.Tier, message, ct).ConfigureAwait(false);
    }

    /// <summary>Counts a failed launch of a tier: its next launch waits, exponentially longer, and a crash loop is reported.</summary>
    private async Task BackOffLaunchesAsync(DeploymentRuntime runtime, string tier, string message, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var failures = runtime.AddLaunchFailure(tier, previous =>
        {
            var count = (previous?.Count ?? 0) + 1;
            return new LaunchFailures(count, now + Backoff(count), message);
        });
        var (count, delay) = (failures.Count, Backoff(failures.Count));

        // Look again when the wait is over rather than at the next periodic pass.
        _ = Task.Delay(delay, time, CancellationToken.None).ContinueWith(_ => Changed?.Invoke(runtime.Name), TaskScheduler.Default);
        if (count == CrashLoopAfter)
        {
            await events.PublishAsync(runtime.Name, EventKinds.TierCrashLoop,
                $"tier {tier} is crash-looping ({count} failures in a row); launches now back off up to {options.Value.MaxLaunchBackoff.TotalMinutes:0} min",
                EventSubject.OfTier(tier), EventSeverity.Error, ct).ConfigureAwait(false);
        }
    }

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromSeconds(Math.Min(options.Value.MaxLaunchBackoff.TotalSeconds, Math.Pow(2, failures - 1)));

    /// <summary>Keeps the newest failed server of a tier for people to inspect, and cleans up the rest.</summary>
    private async Task PruneFailedAsync(DeploymentRuntime runtime, TierState tier, CancellationToken ct)
    {
        var failed = tier.Servers.Where(s => s.State == ServerStatus.Failed).OrderByDescending(s => s.LaunchedAt).ToList();
        var healthy = tier.LiveServers.Count(s => s.State == ServerStatus.InService) >= tier.Count.Desired;
        foreach (var server in failed.Skip(healthy ? 0 : 1))
        {
            if (!_operations.IsBusy(server.Name))
            {
                await SetServerAsync(runtime, server with { State = ServerStatus.Terminating, Termination = TerminationCause.Replacement }, ct).ConfigureAwait(false);
                StartTermination(runtime, server, CleanupReason);
            }
        }
    }

    private async Task TerminateAsync(DeploymentRuntime runtime, ServerState server, string reason)
    {
        var ct = CancellationToken.None;
        if (runtime.State.FindServer(server.Tier, server.Name) is null)
        {
            // Terminated already by an earlier operation in the same slot.
            return;
        }

        health.Stop(server.Name);
        await loadBalancers.DrainAsync(runtime, server.Name, ct).ConfigureAwait(false);
        await shutdown.StopAsync(runtime, server.Name, server.Tier, ct).ConfigureAwait(false);

        // The cause is read from the state, where it was stored with the Terminating state, so a termination resumed
        // after a restart treats the volumes as the one that began it would have.
        var cause = runtime.State.FindTier(server.Tier)?.Servers.FirstOrDefault(s => s.Name == server.Name)?.Termination ?? server.Termination;
        await volumes.ReleaseAsync(runtime, server.Name, cause != TerminationCause.Removal, ct).ConfigureAwait(false);
        await runtime.MutateAsync(s => WithoutServer(s, server.Name), ct).ConfigureAwait(false);
        await events.PublishAsync(runtime.Name, EventKinds.ServerState, $"{server.Name} terminated ({reason})", EventSubject.OfServer(server.Tier, server.Name, ServerStatus.Terminating, ServerStatus.Terminated), cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>A server that passed its health check once served; its death is an incident, not a bad launch.</summary>
    private static bool WasStable(ServerState server) => server.State is ServerStatus.InService or ServerStatus.Unhealthy;

    /// <summary>The kind of the event that reports unhealthy servers held back from replacement.</summary>
    public const string OverloadedKind = EventKinds.TierOverloaded;

    /// <summary>Failures in a row after which a tier is reported as crash-looping.</summary>
    public const int CrashLoopAfter = 3;

    private const string CleanupReason = "cleaning up a failed server";

    private async Task RemoveTiersNotInSpecAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        foreach (var tier in runtime.State.Tiers.Where(t => runtime.Desired.Spec.FindTier(t.LogicalName) is null).ToList())
        {
            if (tier.Servers.Count == 0)
            {
                await runtime.MutateAsync(s => s with { Tiers = [.. s.Tiers.Where(t => t.LogicalName != tier.LogicalName)] }, ct).ConfigureAwait(false);
                continue;
            }

            foreach (var server in tier.Servers.Where(s => s.State != ServerStatus.Terminating && !_operations.IsBusy(s.Name)))
            {
                await SetServerAsync(runtime, server with { State = ServerStatus.Terminating, Termination = TerminationCause.Removal }, ct).ConfigureAwait(false);
                StartTermination(runtime, server, $"tier '{tier.LogicalName}' was removed from the spec");
            }
        }
    }

    private async Task TearDownAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        await loadBalancers.StopAllAsync(runtime, ct).ConfigureAwait(false);
        foreach (var server in runtime.State.Tiers.SelectMany(t => t.Servers).Where(s => !_operations.IsBusy(s.Name)))
        {
            if (server.State != ServerStatus.Terminating || server.Termination != TerminationCause.Removal)
            {
                await SetServerAsync(runtime, server with { State = ServerStatus.Terminating, Termination = TerminationCause.Removal }, ct).ConfigureAwait(false);
            }

            StartTermination(runtime, server, "the deployment is being deleted");
        }
    }

    /// <summary>Servers the provider runs for this deployment that the state does not know: leftovers of a crash.</summary>
    private async Task TerminateOrphansAsync(DeploymentRuntime runtime, Dictionary<string, ServerInstance> observed, CancellationToken ct)
    {
        var known = runtime.State.PhysicalNames().ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in observed.Values.Where(o => !known.Contains(o.Id) && !_operations.IsBusy(o.Id)))
        {
            if (await provider.DescribeServerAsync(orphan.Id, ct).ConfigureAwait(false) is null)
            {
                // Terminated since the listing at the start of the pass: gone from the state and the provider both.
                continue;
            }

            await events.PublishAsync(runtime.Name, EventKinds.ServerOrphan, $"{orphan.Id} is not in the state; terminating it", new EventSubject { Resource = orphan.Id, Server = orphan.Id }, EventSeverity.Warning, ct).ConfigureAwait(false);
            Track(runtime, orphan.Id, () => provider.TerminateAsync(orphan.Id, null, CancellationToken.None));
        }
    }

    private async Task SetTierMessageAsync(DeploymentRuntime runtime, string tier, string message, CancellationToken ct)
    {
        if (runtime.Failures.GetValueOrDefault(tier)?.Message != message && runtime.SetWaiting(tier, message))
        {
            await events.PublishAsync(runtime.Name, EventKinds.TierWaiting, message, EventSubject.OfTier(tier), cancellationToken: ct).ConfigureAwait(false);
        }
    }

    public Task SetServerAsync(DeploymentRuntime runtime, ServerState server, CancellationToken ct) =>
        runtime.MutateAsync(s => ReplaceServer(s, server, time.GetUtcNow()), ct);

    /// <summary>Replaces a server's record, stamping when it entered its state if the state changed.</summary>
    public static DeploymentState ReplaceServer(DeploymentState state, ServerState server, DateTimeOffset now)
    {
        var tier = state.FindTier(server.Tier);
        var existing = tier?.Servers.FirstOrDefault(s => s.Name == server.Name);
        if (tier is null || existing is null)
        {
            return state;
        }

        var stamped = existing.State != server.State ? server with { StateSince = now } : server;
        return state.WithTier(tier with { Servers = [.. tier.Servers.Select(s => s.Name == server.Name ? stamped : s)] });
    }

    private static DeploymentState WithoutServer(DeploymentState state, string name) =>
        state with { Tiers = [.. state.Tiers.Select(t => t with { Servers = [.. t.Servers.Where(s => s.Name != name)] })] };

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Operation on {Resource} failed")]
    private static partial void LogOperationFailed(ILogger logger, Exception exception, string resource);
}
