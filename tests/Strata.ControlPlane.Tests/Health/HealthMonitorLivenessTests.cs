using Strata.ControlPlane.Health;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Testing;
using ServerState = Strata.Planning.State.ServerState;

namespace Strata.ControlPlane.Tests.Health;

/// <summary>A server that should be probed is never left without a probe loop.</summary>
[Trait("kind", "unit")]
public sealed class HealthMonitorLivenessTests : IAsyncDisposable
{
    private static readonly string s_yaml = Specs.Web(servers: 1, health: "{ http: /healthz, interval: 1s }");

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

    private Task<DeploymentRuntime> RuntimeWithAsync(ServerStatus state) => _services.RuntimeAsync(s_yaml, s =>
    {
        var server = s.FindTier("web")!.Servers[0];
        return s.WithServer(server with { State = state, Address = "127.0.0.1" }, _clock.GetUtcNow());
    });

    private ServerInstance Instance(ServerState server) => AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _services.Paths.Root);
}
