using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using ServerState = Strata.Planning.State.ServerState;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Providers.Probes;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// A server whose probe is lost is probed again, or failed at its grace deadline: never left booting with nothing
/// working on it. The probes are real HTTP requests to a listener on loopback, except the one dropped on purpose.
/// </summary>
[Trait("kind", "unit")]
public sealed class LivenessAuditorTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _clock = new();
    private readonly DroppingProbe _probe = new();
    private readonly ControlPlaneServices _services;
    private readonly TcpListener _healthz = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private IStateStore _store = null!;

    public LivenessAuditorTests() => _services = new ControlPlaneServices(_clock, s => s.AddSingleton<IHealthProbe>(_probe));

    public async Task InitializeAsync()
    {
        _store = await _services.InitializedStoreAsync();
        _healthz.Start();
        _ = AnswerOkAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _healthz.Stop();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task AuditAsync_ProbeDropped_ServerIsProbedAgainAndGoesInService()
    {
        _probe.DropFirst = 1;
        var (runtime, server) = BootingServer();
        var monitor = _services.Get<HealthMonitor>();
        var auditor = _services.Get<LivenessAuditor>();
        monitor.Ensure(runtime, server, Instance(server));
        await Eventually.WaitAsync(() => _probe.Calls == 1, "the probe that is dropped");

        Assert.False(await auditor.AuditAsync(runtime, CancellationToken.None).WithTimeout());
        _clock.Advance(TimeSpan.FromSeconds(8));
        Assert.True(await auditor.AuditAsync(runtime, CancellationToken.None).WithTimeout());
        Assert.Null(monitor.LastProbe(server.Name));

        // The pass the audit asks for starts a new loop, as every pass does for a booting server without one.
        monitor.Ensure(runtime, runtime.State.FindServer("web", server.Name)!, Instance(server));
        // A real probe's timeout runs on the real clock: on a loaded machine one may time out, and the loop then waits
        // for its next probe on the test's clock, which must move on as time would (within the 2 s of grace left).
        await Eventually.WaitAsync(
            () =>
            {
                if (runtime.State.FindServer("web", server.Name)?.State == ServerStatus.InService)
                {
                    return true;
                }

                _clock.Advance(TimeSpan.FromMilliseconds(20));
                return false;
            },
            "the server in service");
        var liveness = await EventsAsync(LivenessAuditor.Kind);
        Assert.Equal($"{server.Name}: no health probe has finished for 8s; probing it again", Assert.Single(liveness).Message);
        monitor.Stop(server.Name);
    }

    [Fact]
    public async Task AuditAsync_EveryProbeDroppedPastGrace_FailsServer()
    {
        _probe.DropFirst = int.MaxValue;
        var (runtime, server) = BootingServer();
        var monitor = _services.Get<HealthMonitor>();
        var auditor = _services.Get<LivenessAuditor>();
        monitor.Ensure(runtime, server, Instance(server));
        await Eventually.WaitAsync(() => _probe.Calls == 1, "the probe that is dropped");

        // Each audit gives up the stuck loop, and each new loop is stuck again, until the grace deadline.
        for (var elapsed = 0; elapsed <= 20; elapsed += 4)
        {
            _clock.Advance(TimeSpan.FromSeconds(4));
            await auditor.AuditAsync(runtime, CancellationToken.None).WithTimeout();
            if (monitor.LastProbe(server.Name) is null && runtime.State.FindServer("web", server.Name)!.State == ServerStatus.Booting)
            {
                monitor.Ensure(runtime, runtime.State.FindServer("web", server.Name)!, Instance(server));
            }
        }

        var failed = runtime.State.FindServer("web", server.Name)!;
        Assert.Equal(ServerStatus.Failed, failed.State);
        Assert.Equal("the health check did not pass within 10s", failed.Message);
        Assert.Contains(await EventsAsync(LivenessAuditor.Kind), e => e.Message == $"{server.Name}: the health check did not pass within 10s; failing it");
    }

    private (DeploymentRuntime Runtime, ServerState Server) BootingServer()
    {
        var port = ((IPEndPoint)_healthz.LocalEndpoint).Port;
        var yaml = Specs.Web(servers: 1, health: "{ http: /healthz, interval: 1s, timeout: 500ms, healthyAfter: 1, grace: 10s }", port);
        var runtime = AppliedDeployments.Runtime(_store, yaml, s =>
        {
            var pending = s.FindTier("web")!.Servers[0];
            var booting = pending with { State = ServerStatus.Booting, Address = "127.0.0.1", LaunchedAt = _clock.GetUtcNow() };
            return s.WithServer(booting, _clock.GetUtcNow());
        });
        return (runtime, runtime.State.FindTier("web")!.Servers[0]);
    }

    private ServerInstance Instance(ServerState server) => AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _services.Paths.Root);

    private async Task<List<DeploymentEvent>> EventsAsync(string kind)
    {
        var stored = await _store.ReadEventsAsync("shop", 0, 1000, CancellationToken.None).WithTimeout();
        return [.. stored.Where(e => e.Kind == kind)];
    }

    private async Task AnswerOkAsync(CancellationToken ct)
    {
        var answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        while (!ct.IsCancellationRequested)
        {
            using var client = await _healthz.AcceptTcpClientAsync(ct);
            var stream = client.GetStream();
            var request = new byte[4096];
            _ = await stream.ReadAsync(request, ct);
            await stream.WriteAsync(answer, ct);
        }
    }

    /// <summary>
    /// Loses its first <see cref="DropFirst"/> probes as a hung connection would, deaf even to cancellation (the worst
    /// case for whoever waits on it); probes the server for real after that.
    /// </summary>
    private sealed class DroppingProbe : IHealthProbe
    {
        private readonly HealthProbe _real = new(new Strata.Providers.LocalServerShell());
        private int _calls;

        public int DropFirst { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        public Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) <= DropFirst
                ? new TaskCompletionSource<ProbeResult>().Task
                : _real.ProbeAsync(check, target, cancellationToken);
    }
}
