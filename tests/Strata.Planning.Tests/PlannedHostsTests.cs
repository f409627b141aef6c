using Strata.Planning.Rendering;
using Strata.Planning.State;
using Strata.Testing;
using static Strata.Planning.Tests.TestDeployments;

namespace Strata.Planning.Tests;

/// <summary>The plan when hosts are registered: each new server shows the host it would go to, and takes its zone.</summary>
[Trait("kind", "unit")]
public sealed class PlannedHostsTests
{
    [Fact]
    public void Plan_HostsForTwoOfThreeNewServers_EachShowsItsHostAndTheThirdNoCapacity()
    {
        using var folder = new TemporaryDirectory();
        var spec = Hello(folder);
        var hosts = new Dictionary<string, IReadOnlyList<PlannedHost>> { ["web"] = [new("h1", "a"), new("h2", "b")] };

        var plan = Planner.Plan(spec, DeploymentState.Empty(spec.Name), new PlanOptions
        {
            Random = new Random(42), TimeProvider = new ManualTimeProvider(Now), ParameterDigest = "hmac-sha256:test", Hosts = hosts,
        });

        var tier = Assert.Single(plan.Changes, c => c.Address == "tiers.web");
        Assert.Equal(["h1", "h2", "(no capacity)"], tier.Children.Select(s => s.Attributes.Single(a => a.Name == "host").After));
        // The third has no zone until a host takes it: not this machine's, where it would never run.
        Assert.Equal(["a", "b", AttributeChange.KnownAfterApply], tier.Children.Select(s => s.Attributes.Single(a => a.Name == "zone").After));
        Assert.Equal("a, b", tier.Attributes.Single(a => a.Name == "zones").After);
        var text = PlanRenderer.RenderText(plan);
        Assert.Contains("(host h1, zone a)", text);
        Assert.Contains($"{tier.Children[2].PhysicalName} (host (no capacity))", text);
        var images = spec.Images.ToDictionary(i => i.Name, i => Images.ImageDigest.Compute(Path.Combine(spec.BaseDirectory, i.From)));
        var applied = PlanApplication.Apply(DeploymentState.Empty(spec.Name), spec, images, plan, Now, () => "key");
        Assert.Equal(["a", "b", ""], applied.FindTier("web")!.Servers.Select(s => s.Zone));
    }

    [Fact]
    public void Plan_NoHosts_NoHostAttribute()
    {
        using var folder = new TemporaryDirectory();

        var plan = TestDeployments.Plan(Hello(folder));

        Assert.DoesNotContain(plan.Changes.SelectMany(c => c.Children).SelectMany(s => s.Attributes), a => a.Name == "host");
    }
}
