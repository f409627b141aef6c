using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;
using Strata.Testing;
using ServerState = Strata.Planning.State.ServerState;

namespace Strata.ControlPlane.Tests.Health;

/// <summary>A server that should be probed is never left without a probe loop.</summary>
[Trait("kind", "unit")]
public sealed class HealthMonitorLivenessTests : IAsyncLifetime
{
    private const string Yaml = """
        deployment: shop
        images:
          app: { from: ./app, run: "sh run.sh" }
        tiers:
          web:
            image: app
            servers: 1
            ports: { http: 8000 }
            health: { http: /healthz, interval: 1s }
        """;

    private readonly ManualTimeProvider _clock = new();
    private readonly ControlPlaneServices _services;
    private readonly CountingProbe _probe = new();
    private IStateStore _store = null!;

    public HealthMonitorLivenessTests() => _services = new ControlPlaneServices(_clock);

    public async Task InitializeAsync() => _store = await _services.InitializedStoreAsync();

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Ensure_LoopEndedBecauseServerWasNotProbeable_NextEnsureStartsANewLoop()
    {
        // The reconciler's copy says booting while the runtime still has the server configuring: the first loop finds
        // no probeable server after its probe and ends.
        var runtime = RuntimeWith(ServerStatus.Configuring);
        var server = runtime.State.FindTier("web")!.Servers[0];
        var monitor = NewMonitor();
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

    private HealthMonitor NewMonitor()
    {
        var schedule = new ProbeSchedule(_probe, Options.Create(new ControlPlaneOptions()), _clock);
        return new(
            schedule,
            new LoadBalancerChecks(schedule, _services.Get<EventLog>(), _clock, NullLogger<LoadBalancerChecks>.Instance),
            _services.Get<IServerFailures>(),
            _services.Get<EventLog>(),
            _clock,
            NullLogger<HealthMonitor>.Instance);
    }

    private DeploymentRuntime RuntimeWith(ServerStatus state) => AppliedDeployments.Runtime(_store, Yaml, s =>
    {
        var server = s.FindTier("web")!.Servers[0];
        return s.WithServer(server with { State = state, Address = "127.0.0.1" }, _clock.GetUtcNow());
    });

    private ServerInstance Instance(ServerState server) => AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _services.Paths.Root);

    /// <summary>Fails every probe (a booting server stays booting) and counts them.</summary>
    private sealed class CountingProbe : IHealthProbe
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return Task.FromResult(ProbeResult.Fail("connection refused"));
        }
    }
}
