using Strata.ControlPlane.Deployments;
using Strata.LoadBalancing.Pinning;
using Strata.Planning;
using Strata.Planning.State;

namespace Strata.ControlPlane.Tests.Deployments;

[Trait("kind", "unit")]
public sealed class PlanApplicationTests
{
    private const string ImageDigestValue = "sha256:test";

    private static readonly DateTimeOffset s_now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Apply_FirstPlan_RecordsPendingServersUnderThePlannedNames()
    {
        var desired = Desired(Specs.Shop);
        var plan = Plan(desired, DeploymentState.Empty("shop"));

        var state = Apply(DeploymentState.Empty("shop"), desired, plan, s_now);

        foreach (var tierSpec in desired.Spec.Tiers)
        {
            var tier = state.FindTier(tierSpec.Name);
            Assert.NotNull(tier);
            Assert.Equal(CreatedServers(plan, tierSpec.Name).Order(), tier.Servers.Select(s => s.Name).Order());
            Assert.Equal(tierSpec.Servers.Desired, tier.Count.Desired);
            Assert.Equal(ImageDigestValue, tier.ImageDigest);
            Assert.Equal(desired.LaunchDigest(tierSpec), tier.LaunchDigest);
            Assert.All(tier.Servers, s =>
            {
                Assert.Equal(ServerStatus.Pending, s.State);
                Assert.Equal(tierSpec.Name, s.Tier);
                Assert.Equal(ImageDigestValue, s.ImageDigest);
                Assert.Equal(tier.LaunchDigest, s.LaunchDigest);
                Assert.Equal(s_now, s.LaunchedAt);
                Assert.Null(s.Address);
            });
        }

        Assert.Equal(3, state.FindTier("web")!.Servers.Count);
        Assert.Single(state.FindTier("db")!.Servers);
    }

    [Fact]
    public void Apply_FirstPlan_RecordsLoadBalancerUnderThePlannedName()
    {
        var desired = Desired(Specs.Shop);
        var plan = Plan(desired, DeploymentState.Empty("shop"));
        var planned = Assert.Single(plan.Changes, c => c is { Kind: ResourceKind.LoadBalancer, Action: ChangeAction.Create });

        var state = Apply(DeploymentState.Empty("shop"), desired, plan, s_now);

        var lb = Assert.Single(state.LoadBalancers);
        Assert.Equal("front", lb.LogicalName);
        Assert.Equal(planned.PhysicalName, lb.PhysicalName);
        Assert.Equal("127.0.0.1:8080", lb.Listen);
        Assert.Equal("web", lb.TargetTier);
        Assert.Equal(8000, lb.TargetPort);
        Assert.Empty(lb.Members);
    }

    [Fact]
    public void Apply_FirstPlan_RecordsFirewallRulesAndTierDependencies()
    {
        var desired = Desired(Specs.Shop + "\nfirewall:\n  - any -> front:8080\n  - front -> web:8000\n  - front -> web:8000\n");
        var plan = Plan(desired, DeploymentState.Empty("shop"));

        var state = Apply(DeploymentState.Empty("shop"), desired, plan, s_now);

        // Without them the next plan would create the rules again and delete the tiers in the wrong order.
        Assert.Equal(["any->front:8080/tcp", "front->web:8000/tcp"], state.FirewallRules.Select(r => r.Key));
        Assert.Equal(["db"], state.FindTier("web")!.DependsOn);
        Assert.Empty(state.FindTier("db")!.DependsOn);
        Assert.DoesNotContain(Plan(desired, state).Changes, c => c.Kind == ResourceKind.FirewallRule && c.Action != ChangeAction.NoOp);
    }

    [Fact]
    public void Apply_FirstPlan_RecordsDigestsOfThePlan()
    {
        var desired = Desired(Specs.Shop);
        var plan = Plan(desired, DeploymentState.Empty("shop"));

        var state = Apply(DeploymentState.Empty("shop"), desired, plan, s_now);

        Assert.Equal(plan.SpecDigest, state.SpecDigest);
        Assert.Equal(plan.ParameterDigest, state.ParameterDigest);
        Assert.Equal("shop", state.Name);
    }

    [Fact]
    public void Apply_ScaleOutPlan_KeepsExistingServersAndAddsPlannedOnes()
    {
        var first = Desired(Specs.Shop);
        var applied = Apply(DeploymentState.Empty("shop"), first, Plan(first, DeploymentState.Empty("shop")), s_now);
        var existing = applied.FindTier("web")!.Servers.Select(s => s.Name).ToList();
        var bigger = Desired(Specs.Shop.Replace("servers: 3", "servers: 5", StringComparison.Ordinal));
        var plan = Plan(bigger, applied);

        var state = Apply(applied, bigger, plan, s_now.AddHours(1));

        var added = CreatedServers(plan, "web");
        var web = state.FindTier("web")!;
        Assert.Equal(2, added.Count);
        Assert.Equal(existing.Concat(added).Order(), web.Servers.Select(s => s.Name).Order());
        Assert.Equal(5, web.Count.Desired);
        Assert.All(web.Servers.Where(s => added.Contains(s.Name)), s => Assert.Equal(s_now.AddHours(1), s.LaunchedAt));
        Assert.Single(state.Tiers, t => t.LogicalName == "web");
        Assert.Single(state.LoadBalancers);
    }

    private static DesiredDeployment Desired(string yaml) => new()
    {
        Spec = Specs.Load(yaml),
        SpecPath = "/srv/shop/strata.yaml",
        SpecText = yaml,
        Parameters = new Dictionary<string, string> { ["dbPassword"] = Specs.SecretPassword },
        ImageDigests = new Dictionary<string, string> { ["app"] = ImageDigestValue },
    };

    private static DeploymentState Apply(DeploymentState state, DesiredDeployment desired, Plan plan, DateTimeOffset now) =>
        PlanApplication.Apply(state, desired.Spec, desired.ImageDigests, plan, now, ServerPin.NewKey);

    private static Plan Plan(DesiredDeployment desired, DeploymentState current) =>
        Planner.Plan(desired.Spec, current, new PlanOptions { ComputeImageDigest = _ => ImageDigestValue, Random = new Random(7) });

    private static List<string> CreatedServers(Plan plan, string tier) =>
        plan.Changes.SelectMany(c => c.Children.Prepend(c))
            .Where(c => c is { Kind: ResourceKind.Server, Action: ChangeAction.Create } && c.Address.StartsWith($"tiers.{tier}.servers[", StringComparison.Ordinal))
            .Select(c => c.PhysicalName!)
            .ToList();
}
