using System.Collections.Concurrent;
using System.Threading.Channels;
using ServerState = Strata.Planning.State.ServerState;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Providers.Probes;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Health;

/// <summary>
/// A server whose host's agent runs its check: the control plane does not probe it, counts the results the host sends
/// against the thresholds, keeps the grace, and treats a quiet host as results that stayed alike. The host here is
/// scripted (<see cref="ScriptedHostedProbes"/>); the agent's side is tested in Strata.Agent.Tests and end to end over SSH.
/// </summary>
[Trait("kind", "unit")]
public sealed class HealthMonitorHostedTests : IAsyncDisposable
{
    private static readonly string s_yaml = Specs.Web(servers: 1, health: "{ http: /healthz, interval: 2s, grace: 10s, healthyAfter: 1, unhealthyAfter: 2 }");

    private readonly ManualTimeProvider _clock = new();
    private readonly ControlPlaneServices _services;
    private readonly ScriptedProbe _probe;
    private readonly ScriptedHostedProbes _hosted;

    public HealthMonitorHostedTests()
    {
        _services = new ControlPlaneServices(_clock);
        _probe = new ScriptedProbe(_clock) { Next = ProbeResult.Fail("the control plane must not probe this server") };
        _hosted = new ScriptedHostedProbes(_clock);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task Booting_HostReportsAPass_InServiceWithoutAProbeOfTheControlPlane()
    {
        var (runtime, monitor) = await WatchAsync();
        var watch = await _hosted.WatchedAsync(Server(runtime).Name);

        watch.Send(ProbeResult.Pass);

        await Eventually.WaitAsync(() => Server(runtime).State == ServerStatus.InService, "the server in service");
        Assert.Equal(0, _probe.Count);
        Assert.Equal(new ProbeWatchSpec
        {
            Kind = SocketProbeKind.Http, Address = "127.0.0.1", Port = 8000, Path = "/healthz", Interval = TimeSpan.FromSeconds(2), Timeout = watch.Spec.Timeout,
            BootInterval = TimeSpan.FromMilliseconds(100), HealthyAfter = 1, UnhealthyAfter = 2, SpreadStep = TimeSpan.FromMilliseconds(10),
        }, watch.Spec);
        monitor.Stop(Server(runtime).Name);
        await Eventually.WaitAsync(() => (bool)watch.Disposed, "the watch to end with the server's probe loop");
    }

    [Fact]
    public async Task InService_HostQuietForMinutes_StaysInServiceAndItsLoopIsLive()
    {
        var (runtime, monitor) = await WatchAsync();
        var watch = await _hosted.WatchedAsync(Server(runtime).Name);
        watch.Send(ProbeResult.Pass);
        await Eventually.WaitAsync(() => Server(runtime).State == ServerStatus.InService, "the server in service");

        for (var i = 0; i < 30; i++)
        {
            await Eventually.WaitAsync(() => _clock.NextTimerDueAt > _clock.GetUtcNow(), "the loop's wait");
            _clock.Advance(TimeSpan.FromSeconds(5));
            await Eventually.WaitAsync(() => monitor.LastProbe(Server(runtime).Name) == _clock.GetUtcNow(), "the loop to be waiting on the host");
        }

        Assert.Equal(ServerStatus.InService, Server(runtime).State);
        Assert.Equal(1, _hosted.Asked);
        monitor.Stop(Server(runtime).Name);
    }

    [Fact]
    public async Task InService_HostReportsFailuresUpToTheThreshold_Unhealthy()
    {
        var (runtime, monitor) = await WatchAsync();
        var watch = await _hosted.WatchedAsync(Server(runtime).Name);
        watch.Send(ProbeResult.Pass);
        await Eventually.WaitAsync(() => Server(runtime).State == ServerStatus.InService, "the server in service");

        watch.Send(ProbeResult.Fail("GET /healthz answered 500"));
        watch.Send(ProbeResult.Fail("GET /healthz answered 503"));

        await Eventually.WaitAsync(() => Server(runtime).State == ServerStatus.Unhealthy, "the server unhealthy after two failures");
        Assert.Equal("GET /healthz answered 503", Server(runtime).Message);
        monitor.Stop(Server(runtime).Name);
    }

    [Fact]
    public async Task Booting_HostQuietAfterFailures_FailsAtTheEndOfItsGrace()
    {
        var (runtime, monitor) = await WatchAsync();
        var watch = await _hosted.WatchedAsync(Server(runtime).Name);
        watch.Send(ProbeResult.Fail("connection refused"));
        watch.Send(ProbeResult.Fail("connection refused"));

        for (var i = 0; i < 6 && Server(runtime).State == ServerStatus.Booting; i++)
        {
            await Eventually.WaitAsync(() => _clock.NextTimerDueAt > _clock.GetUtcNow(), "the loop's wait");
            _clock.Advance(TimeSpan.FromSeconds(2));
        }

        await Eventually.WaitAsync(() => Server(runtime).State == ServerStatus.Failed, "the server failed at the end of its grace");
        Assert.Equal("the health check did not pass within 10s: connection refused", Server(runtime).Message);
        Assert.Equal(0, _probe.Count);
        monitor.Stop(Server(runtime).Name);
    }

    [Fact]
    public async Task InService_CheckChangedInPlace_TheHostIsAskedForTheNewCheckAtTheNextEnsure()
    {
        var (runtime, monitor) = await WatchAsync();
        var first = await _hosted.WatchedAsync(Server(runtime).Name);
        first.Send(ProbeResult.Pass);
        await Eventually.WaitAsync(() => Server(runtime).State == ServerStatus.InService, "the server in service");
        var tier = runtime.Desired.Spec.FindTier("web")!;
        var changed = runtime.Desired.Spec with { Tiers = [tier with { Health = tier.Health! with { Path = "/ready" } }] };

        await runtime.ApplyAsync(runtime.Desired with { Spec = changed }, s => s, CancellationToken.None);
        monitor.Ensure(runtime, Server(runtime), AppliedDeployments.RunningInstance(Server(runtime), _clock.GetUtcNow(), _services.Paths.Root));

        await Eventually.WaitAsync(() => _hosted.Asked == 2, "the host asked for the changed check");
        var second = await _hosted.WatchedAsync(Server(runtime).Name);
        Assert.Equal("/ready", second.Spec.Path);
        Assert.True(first.Disposed);
        Assert.Equal(ServerStatus.InService, Server(runtime).State);
        monitor.Stop(Server(runtime).Name);
    }

    [Fact]
    public async Task InService_CheckRemovedInPlace_TheLoopEndsAtTheNextEnsure()
    {
        var (runtime, monitor) = await WatchAsync();
        var first = await _hosted.WatchedAsync(Server(runtime).Name);
        first.Send(ProbeResult.Pass);
        await Eventually.WaitAsync(() => Server(runtime).State == ServerStatus.InService, "the server in service");
        var tier = runtime.Desired.Spec.FindTier("web")!;
        var changed = runtime.Desired.Spec with { Tiers = [tier with { Health = null }] };

        await runtime.ApplyAsync(runtime.Desired with { Spec = changed }, s => s, CancellationToken.None);
        monitor.Ensure(runtime, Server(runtime), AppliedDeployments.RunningInstance(Server(runtime), _clock.GetUtcNow(), _services.Paths.Root));

        // Not at the end of the quiet wait, minutes later: the host stops probing a check the tier no longer has.
        await Eventually.WaitAsync(() => first.Disposed && monitor.LastProbe(Server(runtime).Name) is null, "the loop ended");
        Assert.Equal(1, _hosted.Asked);
    }

    [Fact]
    public async Task Booting_HostRefusesTheWatch_TheControlPlaneProbesItself()
    {
        _probe.Next = ProbeResult.Pass;
        var (runtime, monitor) = await WatchAsync();
        var watch = await _hosted.WatchedAsync(Server(runtime).Name);

        watch.Refuse("this agent does not carry out 'AgentWatchHealth' requests");

        await Eventually.WaitAsync(() => Server(runtime).State == ServerStatus.InService, "the server in service, probed by the control plane");
        Assert.True(_probe.Count >= 1);
        Assert.Equal(1, _hosted.Asked);
        monitor.Stop(Server(runtime).Name);
    }

    private async Task<(DeploymentRuntime Runtime, HealthMonitor Monitor)> WatchAsync()
    {
        var runtime = await _services.RuntimeAsync(s_yaml, s =>
        {
            var server = s.FindTier("web")!.Servers[0];
            return s.WithServer(server with { State = ServerStatus.Booting, Address = "127.0.0.1", LaunchedAt = _clock.GetUtcNow() }, _clock.GetUtcNow());
        });
        var monitor = new ProbingServices(_services, _probe, _clock, hosted: _hosted).NewMonitor();
        var server = Server(runtime);
        monitor.Ensure(runtime, server, AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _services.Paths.Root));
        return (runtime, monitor);
    }

    private static ServerState Server(DeploymentRuntime runtime) => runtime.State.FindTier("web")!.Servers[0];
}

/// <summary>A host whose agent runs the checks it is asked to, scripted by the test: each watch's results are what the test sends.</summary>
internal sealed class ScriptedHostedProbes(TimeProvider clock) : IHostedProbes
{
    private readonly ConcurrentDictionary<string, ScriptedWatch> _watches = new();
    private int _asked;

    public int Asked => Volatile.Read(ref _asked);

    public IProbeWatch? Watch(string serverId, ProbeWatchSpec spec)
    {
        Interlocked.Increment(ref _asked);
        return _watches[serverId] = new ScriptedWatch(spec, clock);
    }

    public async Task<ScriptedWatch> WatchedAsync(string serverId)
    {
        await Eventually.WaitAsync(() => _watches.ContainsKey(serverId), $"a watch of {serverId}");
        return _watches[serverId];
    }

    internal sealed class ScriptedWatch(ProbeWatchSpec spec, TimeProvider clock) : IProbeWatch
    {
        private readonly Channel<ProbeResult> _results = Channel.CreateUnbounded<ProbeResult>();

        public ProbeWatchSpec Spec => spec;

        public string? Refused { get; private set; }

        public bool Disposed { get; private set; }

        public void Send(ProbeResult result) => _results.Writer.TryWrite(result);

        public void Refuse(string why)
        {
            Refused = why;
            _results.Writer.TryComplete();
        }

        public async Task<ProbeResult?> NextAsync(TimeSpan wait, CancellationToken ct)
        {
            using var timeout = new CancellationTokenSource(wait, clock);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, ct);
            try
            {
                return await _results.Reader.WaitToReadAsync(linked.Token) && _results.Reader.TryRead(out var result) ? result : null;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return null;
            }
        }

        public void Dispose() => Disposed = true;
    }
}
