using Strata.Planning.Images;
using Strata.Planning.Parameters;
using Strata.Planning.State;
using Strata.Planning.Tiers;
using Strata.Spec.Model;

namespace Strata.Planning;

/// <summary>
/// Records an applied plan in the state: the tiers' targets, counts and dependencies, the firewall rules, and the
/// servers and load balancers the plan created under the exact names it showed. The runtime then launches what is
/// pending. Pure, and kept here beside the planner so the planner's tests plan again against the very state an apply
/// records.
/// </summary>
public static class PlanApplication
{
    /// <param name="state">The state the plan was made against.</param>
    /// <param name="spec">The spec applied.</param>
    /// <param name="imageDigests">The source digest of every image folder of <paramref name="spec"/>, by image name.</param>
    /// <param name="plan">The plan made from <paramref name="spec"/> against <paramref name="state"/>.</param>
    /// <param name="now">When the apply happens: the launch time of the new servers and the start of any rollout.</param>
    /// <param name="newPinKey">Makes the pin key of a load balancer the plan creates.</param>
    public static DeploymentState Apply(DeploymentState state, DeploymentSpec spec, IReadOnlyDictionary<string, string> imageDigests, Plan plan,
        DateTimeOffset now, Func<string> newPinKey)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(imageDigests);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(newPinKey);
        var next = state with
        {
            SpecDigest = plan.SpecDigest,
            ParameterDigest = plan.ParameterDigest,

            // Recorded whether or not the provider enforces them, so that the next plan compares against what was applied.
            FirewallRules = [.. spec.Firewall.Select(r => new FirewallRuleState(r.From, r.To, r.Port, r.Protocol)).Distinct()],
        };
        foreach (var tier in spec.Tiers)
        {
            var existing = next.FindTier(tier.Name);
            var updated = Tier(spec, tier, existing, ImageDigest(imageDigests, tier), now) with
            {
                Servers = [.. existing?.Servers ?? [], .. CreatedServers(plan, spec, tier, ImageDigest(imageDigests, tier), now)],
            };
            next = existing is null ? next with { Tiers = [.. next.Tiers, updated] } : next.WithTier(updated);
        }

        foreach (var change in Flatten(plan.Changes).Where(c => c is { Kind: ResourceKind.LoadBalancer, Action: ChangeAction.Create }))
        {
            var lb = spec.FindLoadBalancer(change.Address["loadBalancers.".Length..]);
            if (lb is not null && next.FindLoadBalancer(lb.Name) is null && change.PhysicalName is not null)
            {
                next = next with { LoadBalancers = [.. next.LoadBalancers, LoadBalancerState.Create(lb, change.PhysicalName, newPinKey())] };
            }
        }

        return next with { LoadBalancers = [.. next.LoadBalancers.Select(l => spec.FindLoadBalancer(l.LogicalName) is { } lb ? l.AppliedFrom(lb) : l)] };
    }

    private static TierState Tier(DeploymentSpec spec, TierSpec tier, TierState? existing, string imageDigest, DateTimeOffset now)
    {
        // A tier that scales itself keeps the count its autoscaler chose, within the spec's new bounds (as the plan shows).
        var desiredCount = tier.Scaling.Count > 0 && existing is not null
            ? Math.Clamp(existing.Count.Desired, tier.Servers.Min, tier.Servers.Max)
            : tier.Servers.Desired;
        var image = spec.FindImage(tier.Image)!;
        var launchParts = SpecDigests.LaunchParts(tier, image, spec.ResolvedParameters);
        var launchDigest = SpecDigests.Launch(launchParts);
        return new TierState
        {
            LogicalName = tier.Name,
            ImageDigest = imageDigest,
            LaunchDigest = launchDigest,
            LaunchParts = launchParts,
            SettingsDigest = SpecDigests.TierSettings(tier),
            Rollout = StartRollout(existing, imageDigest, launchDigest, tier.Update, now),
            Count = new TierCount(tier.Servers.Min, tier.Servers.Max, desiredCount),
            DependsOn = TierOrder.DependenciesOf(spec, tier),
        };
    }

    /// <summary>The rollout an apply starts for a tier whose image or launch settings change; else the tier's current one.</summary>
    private static RolloutState? StartRollout(TierState? existing, string imageDigest, string launchDigest, UpdatePolicySpec policy, DateTimeOffset now)
    {
        if (existing is null || !existing.Servers.Any(s => s.IsLive) || (existing.ImageDigest == imageDigest && existing.LaunchDigest == launchDigest))
        {
            return existing?.Rollout;
        }

        return new RolloutState
        {
            FromImageDigest = existing.ImageDigest,
            FromLaunchDigest = existing.LaunchDigest,
            ToImageDigest = imageDigest,
            ToLaunchDigest = launchDigest,
            Phase = policy.Canary ? RolloutPhase.AwaitingPromotion : RolloutPhase.Rolling,
            StartedAt = now,
        };
    }

    private static IEnumerable<ServerState> CreatedServers(Plan plan, DeploymentSpec spec, TierSpec tier, string imageDigest, DateTimeOffset now) =>
        Flatten(plan.Changes)
            .Where(c => c is { Kind: ResourceKind.Server, Action: ChangeAction.Create } && c.Address.StartsWith($"tiers.{tier.Name}.servers[", StringComparison.Ordinal))
            .Select(c => new ServerState
            {
                Name = c.PhysicalName!,
                Tier = tier.Name,
                // A server the plan could place on no host gets its zone where it is placed.
                Zone = c.Attributes.FirstOrDefault(a => a.Name == "zone")?.After is { } zone
                    ? (zone == AttributeChange.KnownAfterApply ? "" : zone)
                    : tier.Zones.FirstOrDefault() ?? "local-a",
                State = ServerStatus.Pending,
                ImageDigest = imageDigest,
                LaunchDigest = SpecDigests.Launch(tier, spec.FindImage(tier.Image)!, spec.ResolvedParameters),
                LaunchedAt = now,
            });

    private static string ImageDigest(IReadOnlyDictionary<string, string> imageDigests, TierSpec tier) =>
        imageDigests.TryGetValue(tier.Image, out var digest) ? digest : "";

    private static IEnumerable<ResourceChange> Flatten(IEnumerable<ResourceChange> changes) =>
        changes.SelectMany(c => Flatten(c.Children).Prepend(c));
}
