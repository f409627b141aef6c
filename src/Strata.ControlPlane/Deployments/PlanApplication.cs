using Strata.ControlPlane.Reconciliation;
using Strata.Planning;

namespace Strata.ControlPlane.Deployments;

/// <summary>
/// Records an applied plan in the state: the tiers' targets and counts, and the servers and load balancers the plan
/// created under the exact names it showed. The reconciler then launches what is pending.
/// </summary>
public static class PlanApplication
{
    public static DeploymentState Apply(DeploymentState state, DesiredDeployment desired, Plan plan, DateTimeOffset now)
    {
        var next = state with { SpecDigest = plan.SpecDigest, ParameterDigest = plan.ParameterDigest };
        foreach (var tier in desired.Spec.Tiers)
        {
            var existing = next.FindTier(tier.Name);
            // A tier that scales itself keeps the count its autoscaler chose, within the spec's new bounds (as the plan shows).
            var desiredCount = tier.Scaling.Count > 0 && existing is not null
                ? Math.Clamp(existing.Count.Desired, tier.Servers.Min, tier.Servers.Max)
                : tier.Servers.Desired;
            var count = new TierCount(tier.Servers.Min, tier.Servers.Max, desiredCount);
            var updated = new TierState
            {
                LogicalName = tier.Name,
                ImageDigest = desired.ImageDigest(tier),
                LaunchDigest = desired.LaunchDigest(tier),
                LaunchParts = SpecDigests.LaunchParts(tier, desired.Spec.FindImage(tier.Image)!),
                SettingsDigest = SpecDigests.TierSettings(tier),
                Rollout = Rollouts.Start(existing, desired.ImageDigest(tier), desired.LaunchDigest(tier), tier.Update, now),
                Count = count,
                Servers = [.. existing?.Servers ?? [], .. CreatedServers(plan, tier.Name, desired, now)],
            };
            next = existing is null ? next with { Tiers = [.. next.Tiers, updated] } : DeploymentReconciler.WithTier(next, updated);
        }

        foreach (var change in Flatten(plan.Changes).Where(c => c is { Kind: ResourceKind.LoadBalancer, Action: ChangeAction.Create }))
        {
            var spec = desired.Spec.FindLoadBalancer(change.Address["loadBalancers.".Length..]);
            if (spec is not null && next.FindLoadBalancer(spec.Name) is null && change.PhysicalName is not null)
            {
                next = next with { LoadBalancers = [.. next.LoadBalancers, LoadBalancerCoordinator.New(spec, change.PhysicalName)] };
            }
        }

        return next;
    }

    private static IEnumerable<ServerState> CreatedServers(Plan plan, string tier, DesiredDeployment desired, DateTimeOffset now)
    {
        var spec = desired.Spec.FindTier(tier)!;
        return Flatten(plan.Changes)
            .Where(c => c is { Kind: ResourceKind.Server, Action: ChangeAction.Create } && c.Address.StartsWith($"tiers.{tier}.servers[", StringComparison.Ordinal))
            .Select(c => new ServerState
            {
                Name = c.PhysicalName!,
                Tier = tier,
                Zone = c.Attributes.FirstOrDefault(a => a.Name == "zone")?.After ?? spec.Zones.FirstOrDefault() ?? "local-a",
                State = ServerStatus.Pending,
                ImageDigest = desired.ImageDigest(spec),
                LaunchDigest = desired.LaunchDigest(spec),
                LaunchedAt = now,
            });
    }

    private static IEnumerable<ResourceChange> Flatten(IEnumerable<ResourceChange> changes) =>
        changes.SelectMany(c => Flatten(c.Children).Prepend(c));
}
