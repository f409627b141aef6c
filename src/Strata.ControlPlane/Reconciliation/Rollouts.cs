using Strata.ControlPlane.Deployments;
using Strata.Planning.Images;
using Strata.Planning.State;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>What a rollout needs now: nothing, completion, a move to the next phase, or a rollback.</summary>
public sealed record RolloutStep(RolloutState? Next, string? Event, string? RollbackReason);

/// <summary>
/// The rules of rolling immutable updates, once an apply started a rollout (see <see cref="PlanApplication"/>): a new
/// launch replaces a tier batch by batch (see <see cref="TierDecision"/> for surge, unavailability and bake); a new
/// server that fails or turns unhealthy before the rollout completes rolls the deployment back when the tier's update
/// policy says so; a canary waits for promotion. Pure, so every rule is tested without processes.
/// </summary>
public static class Rollouts
{
    public static RolloutStep Step(RolloutState rollout, TierState tier, TierTarget target, DateTimeOffset now)
    {
        var fresh = tier.Servers.Where(s => s.ImageDigest == rollout.ToImageDigest && s.LaunchDigest == rollout.ToLaunchDigest && s.LaunchedAt >= rollout.StartedAt).ToList();
        if (rollout.Phase != RolloutPhase.RollingBack && target.Update.Rollback
            && fresh.FirstOrDefault(s => s.State is ServerStatus.Failed or ServerStatus.Unhealthy) is { } bad)
        {
            return new RolloutStep(rollout, null, $"{bad.Name} of the new launch is {(bad.State == ServerStatus.Failed ? "failed" : "unhealthy")}: {bad.Message}");
        }

        var live = tier.Servers.Where(s => s.IsLive && s.State != ServerStatus.Failed).ToList();
        var baked = live.Count(s => TierDecision.IsCurrent(s, target) && s.State == ServerStatus.InService
                                    && (s.StateSince is not { } since || now - since >= target.Update.Bake));
        if (live.All(s => TierDecision.IsCurrent(s, target)) && baked >= target.Desired)
        {
            var done = rollout.Phase == RolloutPhase.RollingBack ? RolledBack(tier.LogicalName, rollout.Reason) : $"rollout of tier {tier.LogicalName} completed";
            return new RolloutStep(null, done, null);
        }

        return new RolloutStep(rollout, null, null);
    }

    /// <summary>The rollback's reason names the tier that caused it already when it is this one.</summary>
    private static string RolledBack(string tier, string? reason) =>
        reason is not null && reason.StartsWith($"tier {tier}: ", StringComparison.Ordinal)
            ? $"rolled back {reason}"
            : $"rolled back tier {tier}: {reason}";

    /// <summary>At most one new server while a canary waits for promotion.</summary>
    public static int? MaxNew(RolloutState? rollout) => rollout?.Phase == RolloutPhase.AwaitingPromotion ? 1 : null;

    /// <summary>The state changes of a rollback: every tier whose launch differs rolls back to the previous one.</summary>
    public static DeploymentState RollBack(DeploymentState state, DesiredDeployment from, DesiredDeployment to, string reason, DateTimeOffset now)
    {
        var next = state;
        foreach (var tier in to.Spec.Tiers)
        {
            if (next.FindTier(tier.Name) is not { } current)
            {
                continue;
            }

            var image = to.ImageDigest(tier);
            var launch = to.LaunchDigest(tier);
            var rollout = current.ImageDigest == image && current.LaunchDigest == launch ? current.Rollout : new RolloutState
            {
                FromImageDigest = current.ImageDigest,
                FromLaunchDigest = current.LaunchDigest,
                ToImageDigest = image,
                ToLaunchDigest = launch,
                Phase = RolloutPhase.RollingBack,
                StartedAt = now,
                Reason = reason,
            };
            next = next.WithTier(current with
            {
                ImageDigest = image,
                LaunchDigest = launch,
                LaunchParts = SpecDigests.LaunchParts(tier, to.Spec.FindImage(tier.Image)!, to.Spec.ResolvedParameters),
                SettingsDigest = SpecDigests.TierSettings(tier),
                Rollout = rollout,
            });
        }

        return next with { LoadBalancers = [.. next.LoadBalancers.Select(l => to.Spec.FindLoadBalancer(l.LogicalName) is { } lb ? l.AppliedFrom(lb) : l)] };
    }

    /// <summary>Lets a canary's tier roll on.</summary>
    public static DeploymentState Promote(DeploymentState state, string? tier) =>
        state with
        {
            Tiers = [.. state.Tiers.Select(t => t.Rollout?.Phase == RolloutPhase.AwaitingPromotion && (tier is null || t.LogicalName == tier)
                ? t with { Rollout = t.Rollout with { Phase = RolloutPhase.Rolling } }
                : t)],
        };
}
