using Strata.Testing;

namespace Strata.ControlPlane.Tests.Deployments;

/// <summary>What a desired deployment works out from its spec once, and that a copy with another spec works it out again.</summary>
[Trait("kind", "unit")]
public sealed class DesiredDeploymentTests : IAsyncDisposable
{
    private readonly ControlPlaneServices _services = new(new ManualTimeProvider());

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task With_AnotherSpec_OrderAndLaunchDigestsOfThatSpec()
    {
        var desired = (await _services.RuntimeAsync(Yaml)).Desired;
        var web = desired.Spec.FindTier("web")!;
        var (order, digest) = (desired.OrderedTiers.Select(t => t.Name).ToList(), desired.LaunchDigest(web));
        var changedWeb = web with { Env = new Dictionary<string, Strata.Spec.Model.Template>(web.Env) { ["MODE"] = new("fast", web.Env["DB"].Location) } };

        var copy = desired with { Spec = desired.Spec with { Tiers = [desired.Spec.FindTier("db")!, changedWeb] } };

        Assert.Equal(["db", "web"], order);
        Assert.Same(desired.OrderedTiers, desired.OrderedTiers);
        Assert.Equal(digest, desired.LaunchDigest(web));
        Assert.Equal(["db", "web"], copy.OrderedTiers.Select(t => t.Name));
        Assert.Same(changedWeb, copy.OrderedTiers[1]);
        Assert.NotEqual(digest, copy.LaunchDigest(changedWeb));
    }

    private const string Yaml = """
        deployment: shop
        images:
          app: { from: ./app, run: "sh run.sh" }
        tiers:
          db: { image: app, servers: 1 }
          web:
            image: app
            servers: 1
            env: { DB: "${tiers.db.servers[0].address}" }
        """;
}
