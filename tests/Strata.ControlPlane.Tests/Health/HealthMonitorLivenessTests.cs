using ServerState = Strata.Planning.State.ServerState;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Providers.Probes;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Health;

/// <summary>
/// A server that should be probed is never left without a probe loop, and a booting one is failed at the end of its
/// grace, counted from its launch or, for a server adopted after the control plane was down, from when it is watched.
/// </summary>
[Trait("kind", "unit")]
public sealed class HealthMonitorLivenessTests : IAsyncDisposable
{
    private static readonly string s_yaml = Specs.Web(servers: 1, health: "{ http: /healthz, interval: 1s }");
    private static readonly string s_graceYaml = Specs.Web(servers: 1, health: "{ http: /healthz, interval: 1s, grace: 10s }");

    private readonly ManualTimeProvider _clock = new();
    private readonly ControlPlaneServices _services;
    private readonly ScriptedProbe _probe;

    public HealthMonitorLivenessTests()
    {
        _services = new ControlPlaneServices(_clock);
        // Every probe fails: a booting server stays booting.
        _probe = new ScriptedProbe(_clock) { Next = ProbeResult.Fail("connection refused") };
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task Ensure_LoopEndedBecauseServerWasNotProbeable_NextEnsureStartsANewLoop()
    {
        // The reconciler's copy says booting while the runtime still has the server configuring: the first loop finds
        // no probeable server after its probe and ends.
        var runtime = await RuntimeWithAsync(ServerStatus.Configuring);
        var server = runtime.State.FindTier("web")!.Servers[0];
        var monitor = new ProbingServices(_services, _probe, _clock).NewMonitor();
        monitor.Ensure(runtime, server with { State = ServerStatus.Booting }, Instance(server));
        await Eventually.WaitAsync(() => _probe.Count == 1, "the first probe");
        // Only once the loop has ended: a server made booting before the loop looks it up is probed by that same loop.
        await Eventually.WaitAsync(() => monitor.LastProbe(server.Name) is null, "the first loop to end");

        await runtime.MutateAsync(s => s.WithServer(server with { State = ServerStatus.Booting }, _clock.GetUtcNow()), CancellationToken.None);
        await Eventually.WaitAsync(
            () =>
            {
                monitor.Ensure(runtime, runtime.State.FindTier("web")!.Servers[0], Instance(server));
                return _probe.Count >= 2;
            },
            "a new probe loop for the booting server");

        monitor.Stop(server.Name);
    }

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
        monitor.Ensure(runtime, server, Instance(server));
        return monitor;
    }

    /// <summary>
    /// Until the probe loop made its probe and went back to waiting on the clock: moving the clock before its wait
    /// began would leave the loop waiting for a time that never comes.
    /// </summary>
    private Task ProbedAtAsync(int count) =>
        Eventually.WaitAsync(() => _probe.Count >= count && _clock.NextTimerDueAt > _clock.GetUtcNow(), $"probe {count} and the loop's wait for the next");

    private static ServerState Server(DeploymentRuntime runtime) => runtime.State.FindTier("web")!.Servers[0];

    private Task<DeploymentRuntime> RuntimeWithAsync(ServerStatus state) => _services.RuntimeAsync(s_yaml, s =>
    {
        var server = s.FindTier("web")!.Servers[0];
        return s.WithServer(server with { State = state, Address = "127.0.0.1" }, _clock.GetUtcNow());
    });

    private ServerInstance Instance(ServerState server) => AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _services.Paths.Root);

    private Task<DeploymentRuntime> RuntimeBootingSinceAsync(DateTimeOffset launchedAt) => _services.RuntimeAsync(s_graceYaml, s =>
    {
        var server = s.FindTier("web")!.Servers[0];
        return s.WithServer(server with { State = ServerStatus.Booting, Address = "127.0.0.1", LaunchedAt = launchedAt }, _clock.GetUtcNow());
    });
}
