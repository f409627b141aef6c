using ServerState = Strata.Planning.State.ServerState;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.LoadBalancing;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Providers.Probes;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Health;

/// <summary>
/// A load balancer's own <c>health:</c> decides membership only: a server in service for its tier that fails the
/// load balancer's check is a standby member (out of rotation), stays in service and is not failed.
/// </summary>
[Trait("kind", "unit")]
public sealed class LoadBalancerChecksTests : IAsyncLifetime
{
    private const string Yaml = """
        deployment: shop
        images:
          app: { from: ./app, run: "sh run.sh" }
        tiers:
          web:
            image: app
            servers: 1
            ports: { http: 8000, admin: 9000 }
            health: { http: /healthz, interval: 1s }
        loadBalancers:
          front:
            listen: 127.0.0.1:8080
            to: web:admin
            health: { http: /ready, interval: 1s, healthyAfter: 2, unhealthyAfter: 2 }
        """;

    private readonly ManualTimeProvider _clock = new();
    private readonly ControlPlaneServices _services;
    private readonly ScriptedProbe _probe;
    private IStateStore _store = null!;

    public LoadBalancerChecksTests()
    {
        _services = new ControlPlaneServices(_clock);
        _probe = new ScriptedProbe(_clock);
    }

    public async Task InitializeAsync() => _store = await _services.InitializedStoreAsync();

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Ensure_LoadBalancerCheckFailsThenPasses_ServerLeavesAndRejoinsRotationWithoutLeavingService()
    {
        var (runtime, server) = InServiceRuntime();
        var checks = NewChecks();
        var changes = 0;
        checks.Changed += _ => Interlocked.Increment(ref changes);
        var front = runtime.Desired.Spec.FindLoadBalancer("front")!;
        _probe.Next = ProbeResult.Fail("GET /ready answered 503");

        checks.Ensure(runtime, server, Instance(server));
        await ProbedAsync(1);
        Assert.Equal(MemberState.Standby, LoadBalancerMembership.StateOf(server, front, checks.Of(server.Name, "front"), isMember: false));
        Assert.Equal($"{server.Name} fails front's check: GET /ready answered 503", LoadBalancerMembership.WhyNot(server, front, checks.Of(server.Name, "front"), isMember: false));
        await TickAsync(2);

        Assert.Equal(HealthVerdict.Unhealthy, checks.Of(server.Name, "front")!.Verdict);
        var events = await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout();
        var left = Assert.Single(events, e => e.Kind == "loadbalancer.check");
        Assert.Equal($"{server.Name} is not in load balancer front's rotation: its check fails: GET /ready answered 503", left.Message);
        Assert.Equal(ServerStatus.InService, runtime.State.FindTier("web")!.Servers[0].State);

        _probe.Next = ProbeResult.Pass;
        await TickAsync(3);
        Assert.Equal(MemberState.Standby, LoadBalancerMembership.StateOf(server, front, checks.Of(server.Name, "front"), isMember: false));
        await TickAsync(4);

        Assert.Equal(MemberState.Active, LoadBalancerMembership.StateOf(server, front, checks.Of(server.Name, "front"), isMember: false));
        Assert.Equal(2, Volatile.Read(ref changes));
        var back = (await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout()).Where(e => e.Kind == "loadbalancer.check").Last();
        Assert.Equal($"{server.Name} passes load balancer front's check again and may rejoin its rotation", back.Message);
        Assert.All(_probe.Seen, seen => Assert.Equal(("/ready", 9000), (seen.Check.Path, seen.Target.DefaultPort)));
        checks.Stop(server.Name);
        Assert.Null(checks.Of(server.Name, "front"));
    }

    [Fact]
    public void Ensure_LoadBalancerWithoutItsOwnCheck_ProbesNothing()
    {
        var (runtime, server) = InServiceRuntime(Yaml.Replace("\n    health: { http: /ready, interval: 1s, healthyAfter: 2, unhealthyAfter: 2 }", "", StringComparison.Ordinal));
        var checks = NewChecks();

        checks.Ensure(runtime, server, Instance(server));

        Assert.Null(checks.Of(server.Name, "front"));
        Assert.Equal(MemberState.Active, LoadBalancerMembership.StateOf(server, runtime.Desired.Spec.FindLoadBalancer("front")!, null, isMember: false));
        Assert.Empty(_probe.Seen);
    }

    [Fact]
    public void Ensure_BootingServer_ProbesNothingBeforeItIsInService()
    {
        var (runtime, server) = InServiceRuntime();
        var checks = NewChecks();

        checks.Ensure(runtime, server with { State = ServerStatus.Booting }, Instance(server));

        Assert.Null(checks.Of(server.Name, "front"));
        Assert.Empty(_probe.Seen);
    }

    [Theory]
    [InlineData(ServerStatus.Booting, HealthVerdict.Healthy, true, MemberState.Standby)]
    [InlineData(ServerStatus.Unhealthy, HealthVerdict.Healthy, true, MemberState.Standby)]
    [InlineData(ServerStatus.InService, HealthVerdict.Healthy, false, MemberState.Active)]
    [InlineData(ServerStatus.InService, HealthVerdict.Unhealthy, true, MemberState.Standby)]
    [InlineData(ServerStatus.InService, HealthVerdict.Unknown, false, MemberState.Standby)]
    [InlineData(ServerStatus.InService, HealthVerdict.Unknown, true, MemberState.Active)]
    public void StateOf_TierStateAndLoadBalancerVerdict_InRotationOnlyWhenBothPass(ServerStatus state, HealthVerdict verdict, bool isMember, MemberState expected)
    {
        var (runtime, server) = InServiceRuntime();
        var tracker = new HealthTracker(2, 2) { Verdict = verdict };

        var member = LoadBalancerMembership.StateOf(server with { State = state }, runtime.Desired.Spec.FindLoadBalancer("front")!, tracker, isMember);

        Assert.Equal(expected, member);
    }

    private LoadBalancerChecks NewChecks() => new ProbingServices(_services, _probe, _clock).NewChecks();

    private (DeploymentRuntime Runtime, ServerState Server) InServiceRuntime(string yaml = Yaml)
    {
        var runtime = AppliedDeployments.Runtime(_store, yaml, s =>
        {
            var server = s.FindTier("web")!.Servers[0];
            return s.WithServer(server with { State = ServerStatus.InService, Address = "127.0.0.1" }, _clock.GetUtcNow());
        });
        return (runtime, runtime.State.FindTier("web")!.Servers[0]);
    }

    private ServerInstance Instance(ServerState server) => AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _services.Paths.Root);

    /// <summary>Waits until the probe loop has probed <paramref name="count"/> times and sleeps until its next probe.</summary>
    private async Task ProbedAsync(int count) =>
        await Eventually.WaitAsync(() => _probe.Seen.Count == count && _clock.NextTimerDueAt is not null, $"probe {count} to finish");

    /// <summary>Moves the clock to the next probe and waits until probe <paramref name="count"/> has been recorded.</summary>
    private async Task TickAsync(int count)
    {
        _clock.Advance(_clock.NextTimerDueAt!.Value - _clock.GetUtcNow());
        await ProbedAsync(count);
    }
}
