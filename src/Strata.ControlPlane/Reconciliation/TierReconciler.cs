using System.Collections.Immutable;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.Planning.Naming;
using Strata.Planning.State;
using Strata.Planning.Tiers;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Brings each tier to its target in dependency order: waits for the tiers it refers to, moves its rollout on (or
/// rolls the deployment back), then carries out what <see cref="TierDecision"/> decides (servers to terminate, how
/// many to launch), prunes failed servers and terminates the servers of tiers gone from the spec. Every termination
/// and launch is recorded in the state first and then started through the <see cref="ServerLifecycle"/>.
/// </summary>
public sealed class TierReconciler(
    ServerLifecycle lifecycle, DeploymentRollback rollback, ICloudProvider provider, TierCapacityGate capacity, EventLog events, TimeProvider time)
{
    /// <summary>The kind of the event that reports unhealthy servers held back from replacement.</summary>
    public const string OverloadedKind = EventKinds.TierOverloaded;

    private const string CleanupReason = "cleaning up a failed server";

    private const string DeletionReason = "the deployment is being deleted";

    private readonly Random _random = new();

    public async Task ReconcileAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        foreach (var tier in runtime.Desired.OrderedTiers)
        {
            await ReconcileTierAsync(runtime, tier, ct).ConfigureAwait(false);
        }

        await RemoveTiersNotInSpecAsync(runtime, ct).ConfigureAwait(false);
        await capacity.EndPassAsync(runtime, ct).ConfigureAwait(false);
    }

    /// <summary>Terminates every server of a deployment being deleted; their volumes go by their deletion policy.</summary>
    public async Task TearDownAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        foreach (var tier in runtime.State.Tiers)
        {
            // No update goes on: nothing is left where its volumes are for one.
            runtime.SetPinned(tier.LogicalName, null);
        }

        foreach (var server in runtime.State.Tiers.SelectMany(t => t.Servers).Where(s => !lifecycle.IsBusy(s.Name)))
        {
            if (server.State != ServerStatus.Terminating || server.Termination != TerminationCause.Removal)
            {
                await SetServerAsync(runtime, server with { State = ServerStatus.Terminating, Message = DeletionReason, Termination = TerminationCause.Removal }, ct).ConfigureAwait(false);
            }

            lifecycle.StartTermination(runtime, server, DeletionReason);
        }
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

        if (!capacity.IsShort(runtime.Name, tier.Name))
        {
            runtime.ClearWaiting(tier.Name);
        }

        var target = await TargetOfAsync(runtime, tier, tierState, ct).ConfigureAwait(false);
        if (tierState.Rollout is { } rollout && !await StepRolloutAsync(runtime, tierState, rollout, target, ct).ConfigureAwait(false))
        {
            return;
        }

        runtime.Failures.TryGetValue(tier.Name, out var failures);
        var now = time.GetUtcNow();
        var actions = TierDecision.Decide(target, tierState.Servers, failures is null || now >= failures.NotBefore, now);
        if (runtime.SetPinned(tier.Name, actions.Pinned))
        {
            await events.PublishAsync(runtime.Name, EventKinds.TierWaiting, actions.Pinned!, EventSubject.OfTier(tier.Name), cancellationToken: ct).ConfigureAwait(false);
        }

        await ReportOverloadAsync(runtime, tierState, target, actions, ct).ConfigureAwait(false);
        await CarryOutAsync(runtime, tier, tierState, target, actions, ct).ConfigureAwait(false);
    }

    private async Task<TierTarget> TargetOfAsync(DeploymentRuntime runtime, TierSpec tier, TierState tierState, CancellationToken ct)
    {
        var desired = runtime.Desired;
        var target = new TierTarget(desired.ImageDigest(tier), desired.LaunchDigest(tier), tierState.Count.Desired, tier.Update,
            References.DigestOf(runtime, tier), Rollouts.MaxNew(tierState.Rollout))
        {
            RecoveryDelay = tier.RecoveryDelay, MaxAge = tier.MaxAge, MaxReplacing = Math.Max(1, tier.MaxReplacing.Resolve(tierState.Count.Desired)),
            Moving = capacity.MovingOf(tierState),
        };
        // A rotation past maxAge replaces like an update, so full hosts have it replace in place as well.
        var now = time.GetUtcNow();
        var outdated = tierState.LiveServers
            .Where(s => (!TierDecision.IsCurrent(s, target) || TierDecision.IsExpired(s, target, now)) && !target.Moving.ContainsKey(s.Name))
            .Select(s => s.Name).ToList();
        // A tier with volumes always replaces in place: a server's volumes go to its replacement, which can take them
        // only once the old server is gone; a surge would start beside it on new, empty volumes. One that must move
        // (its host drains) is stopped only when another host can take its replacement.
        if (tier.Volumes.Count > 0)
        {
            var unmovable = await capacity.UnmovableAsync(runtime, tier, target.Moving, ct).ConfigureAwait(false);
            var moving = target.Moving.Where(m => !unmovable.ContainsKey(m.Key)).ToDictionary(StringComparer.Ordinal);
            var pinned = capacity.PinnedOf(tierState).Concat(unmovable).DistinctBy(p => p.Key, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
            return target with { InPlace = outdated.Count > 0 || moving.Count > 0, Moving = moving, Pinned = pinned, KeepsVolumes = true };
        }

        return target with { InPlace = await capacity.InPlaceAsync(runtime, tier, target, outdated, ct).ConfigureAwait(false) };
    }

    /// <summary>Reports (once, when it starts) that unhealthy servers are held back from replacement.</summary>
    private async Task ReportOverloadAsync(DeploymentRuntime runtime, TierState tier, TierTarget target, TierActions actions, CancellationToken ct)
    {
        if (!runtime.SetOverloaded(tier.LogicalName, actions.HeldBack > 0))
        {
            return;
        }

        var unhealthy = tier.Servers.Count(s => s.State == ServerStatus.Unhealthy);
        await events.PublishAsync(runtime.Name, OverloadedKind,
            $"tier {tier.LogicalName} is overloaded: {unhealthy} servers fail their health check while their processes run; {actions.HeldBack} are not replaced (maxReplacing is {target.MaxReplacing}), they stay out of rotation and are probed until they recover",
            EventSubject.OfTier(tier.LogicalName), EventSeverity.Warning, ct).ConfigureAwait(false);
    }

    private async Task CarryOutAsync(DeploymentRuntime runtime, TierSpec tier, TierState tierState, TierTarget target, TierActions actions, CancellationToken ct)
    {
        foreach (var termination in actions.Terminate)
        {
            var server = tierState.Servers.First(s => s.Name == termination.Server);
            await SetServerAsync(runtime, server with { State = ServerStatus.Terminating, Message = termination.Reason, Termination = termination.Cause }, ct).ConfigureAwait(false);
            lifecycle.StartTermination(runtime, server, termination.Reason);
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
            await rollback.RollBackAsync(runtime, $"tier {tier.LogicalName}: {reason}", ct).ConfigureAwait(false);
            return false;
        }

        if (!ReferenceEquals(step.Next, rollout))
        {
            await runtime.MutateAsync(s => s.FindTier(tier.LogicalName) is { } t ? s.WithTier(t with { Rollout = step.Next }) : s, ct).ConfigureAwait(false);
            await events.PublishAsync(runtime.Name, EventKinds.TierRollout, step.Event!, EventSubject.OfTier(tier.LogicalName), cancellationToken: ct).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Records <paramref name="count"/> new pending servers of the tier, spread over its zones, and starts their launches.</summary>
    private async Task LaunchNewAsync(DeploymentRuntime runtime, TierSpec tier, TierTarget target, int count, CancellationToken ct)
    {
        // A server that keeps volumes has stopped before its replacement is asked for: it no longer runs where it was.
        var moving = target.KeepsVolumes ? ImmutableDictionary<string, string>.Empty : target.Moving;
        if (!await capacity.AllowAsync(runtime, tier, count, moving, ct).ConfigureAwait(false))
        {
            return;
        }

        var names = new NameGenerator(_random, runtime.State.PhysicalNames());
        var zones = TierZones.Of(tier, provider.Zones[0]);
        var added = new List<ServerState>();
        await runtime.MutateAsync(s =>
        {
            var tierState = s.FindTier(tier.Name)!;
            var servers = tierState.Servers.ToList();
            for (var i = 0; i < count; i++)
            {
                var server = new ServerState
                {
                    Name = names.Next(runtime.Name, tier.Name),
                    Tier = tier.Name,
                    Zone = capacity.PlacesOnHosts ? "" : LeastUsedZone(zones, servers),
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
            lifecycle.StartLaunch(runtime, server);
        }
    }

    private static string LeastUsedZone(IReadOnlyList<string> zones, List<ServerState> servers) =>
        zones.OrderBy(z => servers.Count(s => s.IsLive && s.Zone == z)).ThenBy(z => zones.ToList().IndexOf(z)).First();

    /// <summary>Keeps the newest failed server of a tier for people to inspect, and cleans up the rest.</summary>
    private async Task PruneFailedAsync(DeploymentRuntime runtime, TierState tier, CancellationToken ct)
    {
        var failed = tier.Servers.Where(s => s.State == ServerStatus.Failed).OrderByDescending(s => s.LaunchedAt).ToList();
        var healthy = tier.LiveServers.Count(s => s.State == ServerStatus.InService) >= tier.Count.Desired;
        foreach (var server in failed.Skip(healthy ? 0 : 1))
        {
            if (!lifecycle.IsBusy(server.Name))
            {
                await SetServerAsync(runtime, server with { State = ServerStatus.Terminating, Message = CleanupReason, Termination = TerminationCause.Replacement }, ct).ConfigureAwait(false);
                lifecycle.StartTermination(runtime, server, CleanupReason);
            }
        }
    }

    private async Task RemoveTiersNotInSpecAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        foreach (var tier in runtime.State.Tiers.Where(t => runtime.Desired.Spec.FindTier(t.LogicalName) is null).ToList())
        {
            runtime.SetPinned(tier.LogicalName, null);
            if (tier.Servers.Count == 0)
            {
                await runtime.MutateAsync(s => s.WithoutTier(tier.LogicalName), ct).ConfigureAwait(false);
                continue;
            }

            foreach (var server in tier.Servers.Where(s => s.State != ServerStatus.Terminating && !lifecycle.IsBusy(s.Name)))
            {
                var reason = $"tier '{tier.LogicalName}' was removed from the spec";
                await SetServerAsync(runtime, server with { State = ServerStatus.Terminating, Message = reason, Termination = TerminationCause.Removal }, ct).ConfigureAwait(false);
                lifecycle.StartTermination(runtime, server, reason);
            }
        }
    }

    private async Task SetTierMessageAsync(DeploymentRuntime runtime, string tier, string message, CancellationToken ct)
    {
        if (runtime.Failures.GetValueOrDefault(tier)?.Message != message && runtime.SetWaiting(tier, message))
        {
            await events.PublishAsync(runtime.Name, EventKinds.TierWaiting, message, EventSubject.OfTier(tier), cancellationToken: ct).ConfigureAwait(false);
        }
    }

    private Task SetServerAsync(DeploymentRuntime runtime, ServerState server, CancellationToken ct) =>
        runtime.SetServerAsync(server, time.GetUtcNow(), ct);
}
