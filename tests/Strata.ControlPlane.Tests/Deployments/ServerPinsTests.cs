using Strata.Api.Contracts;
using Strata.ControlPlane.Api.V1;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Reconciliation;
using Strata.LoadBalancing.Pinning;

namespace Strata.ControlPlane.Tests.Deployments;

[Trait("kind", "unit")]
public sealed class ServerPinsTests : IAsyncLifetime
{
    private const string Spec = """
        deployment: shop
        images:
          app: { from: ./app, run: sh run.sh }
        tiers:
          web:
            image: app
            servers: 2
            ports: { http: 8000 }
          api:
            image: app
            servers: 1
            ports: { http: 9000 }
        loadBalancers:
          front: { listen: 127.0.0.1:18080, to: web:http }
          admin: { listen: 127.0.0.1:18081, to: api:http }
          internal: { listen: 127.0.0.1:18082, to: api:http }
        """;

    private static readonly DateTimeOffset s_now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly ControlPlaneServices _services = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Issue_ServerBehindOneLoadBalancer_SignsWithThatLoadBalancersOwnKey()
    {
        var runtime = await RuntimeAsync();
        var server = runtime.State.FindTier("web")!.Servers[0].Name;

        var pin = ServerPins.Issue(runtime, server, loadBalancer: null, TimeSpan.FromMinutes(30), anyState: true, s_now);

        var front = runtime.State.FindLoadBalancer("front")!;
        Assert.Equal("front", pin.LoadBalancer);
        Assert.Equal(s_now.AddMinutes(30), pin.ExpiresAt);
        Assert.Equal(new PinClaim(server, s_now.AddMinutes(30), AnyState: true), ServerPin.Verify(front.PinKey, pin.Value, s_now));
        Assert.Null(ServerPin.Verify(runtime.State.FindLoadBalancer("admin")!.PinKey, pin.Value, s_now));
        Assert.Null(ServerPin.Verify(front.PinKey, pin.Value, s_now.AddMinutes(31)));
    }

    [Fact]
    public async Task Issue_EveryLoadBalancer_HasItsOwnKey()
    {
        var runtime = await RuntimeAsync();

        var keys = runtime.State.LoadBalancers.Select(l => l.PinKey).ToList();

        Assert.All(keys, k => Assert.True(ServerPin.IsValidKey(k)));
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Fact]
    public async Task Issue_TierBehindTwoLoadBalancers_NeedsOneNamed()
    {
        var runtime = await RuntimeAsync();
        var server = runtime.State.FindTier("api")!.Servers[0].Name;

        var error = Assert.Throws<ConflictException>(() => ServerPins.Issue(runtime, server, null, null, anyState: false, s_now));
        var named = ServerPins.Issue(runtime, server, "internal", null, anyState: false, s_now);

        Assert.Contains("admin, internal", error.Message);
        Assert.Contains("--load-balancer", error.Message);
        Assert.Equal("internal", named.LoadBalancer);
        Assert.Equal(s_now + ServerPins.DefaultTtl, named.ExpiresAt);
        Assert.NotNull(ServerPin.Verify(runtime.State.FindLoadBalancer("internal")!.PinKey, named.Value, s_now));
    }

    [Fact]
    public async Task Issue_UnknownServerOrLoadBalancer_NotFound()
    {
        var runtime = await RuntimeAsync();
        var server = runtime.State.FindTier("web")!.Servers[0].Name;

        var noServer = Assert.Throws<NotFoundException>(() => ServerPins.Issue(runtime, "shop-web-zzzzzz", null, null, false, s_now));
        var wrongBalancer = Assert.Throws<NotFoundException>(() => ServerPins.Issue(runtime, server, "admin", null, false, s_now));

        Assert.Equal("deployment 'shop' has no server 'shop-web-zzzzzz'", noServer.Message);
        Assert.Contains("'admin' does not send to tier 'web'", wrongBalancer.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-60)]
    [InlineData(8 * 24 * 3600)]
    public async Task Issue_LifetimeOutOfRange_IsRefused(int seconds)
    {
        var runtime = await RuntimeAsync();
        var server = runtime.State.FindTier("web")!.Servers[0].Name;

        var error = Assert.Throws<ArgumentException>(() => ServerPins.Issue(runtime, server, null, TimeSpan.FromSeconds(seconds), false, s_now));

        Assert.Contains("at most 7 days", error.Message);
    }

    private async Task<DeploymentRuntime> RuntimeAsync() => AppliedDeployments.Runtime(await _services.InitializedStoreAsync(), Spec);
}
