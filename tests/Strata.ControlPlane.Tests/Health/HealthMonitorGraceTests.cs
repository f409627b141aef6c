using Strata.ControlPlane.Health;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Testing;
using ServerState = Strata.Planning.State.ServerState;

namespace Strata.ControlPlane.Tests.Health;

/// <summary>A booting server's grace, for a server launched while this control plane watched and for one it adopted.</summary>
[Trait("kind", "unit")]
public sealed class HealthMonitorGraceTests : IAsyncDisposable
{
    private static readonly string s_yaml = Specs.Web(servers: 1, health: "{ http: /healthz, interval: 1s, grace: 10s }");

    private readonly ManualTimeProvider _clock = new();
    private readonly ControlPlaneServices _services;
    private readonly ScriptedProbe _probe;

    public HealthMonitorGraceTests()
    {
        _services = new ControlPlaneServices(_clock);
        // The app is still starting: every probe is refused.
        _probe = new ScriptedProbe(_clock) { Next = ProbeResult.Fail("connection refused") };
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task Booting_NotPassingWithinGraceOfItsLaunch_Fails()
    {
        var runtime = await RuntimeBootingSinceAsync(_clock.GetUtcNow());
        var monitor = Watch(runtime);

        await ProbedAtAsync(1);
        _clock.Advance(TimeSpan.FromSeconds(11));
        await Eventually.WaitAsync(() => Server(runtime).State == ServerStatus.Failed, "the server to fail at the end of its grace");
        Assert.Contains("did not pass within 10s", Server(runtime).Message, StringComparison.Ordinal);
        monitor.Stop(Server(runtime).Name);
    }

    [Fact]
    public async Task Booting_AdoptedAfterItsGraceRanOutUnwatched_GetsAGraceFromWhenItIsWatched()
    {
        // Launched 5 minutes ago, before a control-plane restart: its grace ran out while no one probed it.
        var runtime = await RuntimeBootingSinceAsync(_clock.GetUtcNow() - TimeSpan.FromMinutes(5));
        var monitor = Watch(runtime);

        await ProbedAtAsync(1);
        for (var probes = 2; probes <= 9; probes++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await ProbedAtAsync(probes);
        }

        Assert.Equal(ServerStatus.Booting, Server(runtime).State);
        _clock.Advance(TimeSpan.FromSeconds(3));
        await Eventually.WaitAsync(() => Server(runtime).State == ServerStatus.Failed, "the server to fail at the end of the grace it was given");
        monitor.Stop(Server(runtime).Name);
    }

    private HealthMonitor Watch(DeploymentRuntime runtime)
    {
        var monitor = new ProbingServices(_services, _probe, _clock).NewMonitor();
        var server = Server(runtime);
        monitor.Ensure(runtime, server, AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _services.Paths.Root));
        return monitor;
    }

    private Task ProbedAtAsync(int count) => Eventually.WaitAsync(() => _probe.Count >= count, $"probe {count}");

    private static ServerState Server(DeploymentRuntime runtime) => runtime.State.FindTier("web")!.Servers[0];

    private Task<DeploymentRuntime> RuntimeBootingSinceAsync(DateTimeOffset launchedAt) => _services.RuntimeAsync(s_yaml, s =>
    {
        var server = s.FindTier("web")!.Servers[0];
        return s.WithServer(server with { State = ServerStatus.Booting, Address = "127.0.0.1", LaunchedAt = launchedAt }, _clock.GetUtcNow());
    });
}
