using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.Planning.State;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Health;

/// <summary>The probes of many servers on one interval are spread over it, and only so many run at once.</summary>
[Trait("kind", "unit")]
public sealed class HealthMonitorScheduleTests : IAsyncLifetime
{
    private const int Servers = 100;

    private static readonly string s_yaml = $$"""
        deployment: shop
        images:
          app: { from: ./app, run: "sh run.sh" }
        tiers:
          web:
            image: app
            servers: {{Servers}}
            ports: { http: 8000 }
            health: { http: /healthz, interval: 1s }
        """;

    // On a tick of the 1 s interval, so that probes on one grid would all fall on the same instant.
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 12, 4, 21, 0, 0, TimeSpan.Zero));
    private readonly ControlPlaneServices _services;
    private IStateStore _store = null!;

    public HealthMonitorScheduleTests() => _services = new ControlPlaneServices(_clock);

    public async Task InitializeAsync() => _store = await _services.InitializedStoreAsync();

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Ensure_HundredServersInServiceOnOneInterval_ProbesSpreadOverTheInterval()
    {
        var probe = new RecordingProbe(_clock);
        var (monitor, _) = NewMonitor(probe, new ControlPlaneOptions { Cores = 2 });
        var runtime = InService();
        StartAll(monitor, runtime);
        await Eventually.WaitAsync(() => probe.Starts.Count == Servers && _clock.PendingTimers == Servers, "the first probe of every server");

        // One step at a time, each time until every loop waits on the clock again, so each probe is seen at its instant.
        for (var elapsed = 0; elapsed < 1000; elapsed += 10)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            await Eventually.WaitAsync(() => _clock.PendingTimers == Servers, $"every probe loop to wait again after {elapsed + 10} ms");
        }

        var second = probe.Starts.Skip(Servers).GroupBy(t => t).Select(g => g.Count()).ToList();
        Assert.Equal(Servers, second.Sum());
        Assert.True(second.Count >= 50, $"the {Servers} probes of one interval ran at only {second.Count} instants");
        Assert.True(second.Max() <= 6, $"{second.Max()} of the {Servers} probes ran at the same instant");
        StopAll(monitor, runtime);
    }

    [Fact]
    public async Task Ensure_MoreServersThanProbeSlots_NoMoreThanTheLimitProbeAtOnce()
    {
        var probe = new BlockingProbe();
        var (monitor, schedule) = NewMonitor(probe, new ControlPlaneOptions { Cores = 1, ProbesPerCore = 4 });
        var runtime = InService();

        StartAll(monitor, runtime);
        await Eventually.WaitAsync(() => probe.Running + schedule.Waiting == Servers, "every server's first probe to run or wait for a slot");

        Assert.Equal(4, probe.Running);
        probe.Open();
        await Eventually.WaitAsync(() => probe.Count >= Servers, "every server's first probe");
        Assert.Equal(4, probe.MaxRunning);
        StopAll(monitor, runtime);
    }

    private (HealthMonitor Monitor, ProbeSchedule Schedule) NewMonitor(IHealthProbe probe, ControlPlaneOptions options)
    {
        var schedule = new ProbeSchedule(probe, Options.Create(options), _clock);
        var events = _services.Get<EventLog>();
        var checks = new LoadBalancerChecks(schedule, events, _clock, NullLogger<LoadBalancerChecks>.Instance);
        return (new HealthMonitor(schedule, checks, _services.Get<IServerFailures>(), events, _clock, NullLogger<HealthMonitor>.Instance), schedule);
    }

    private DeploymentRuntime InService() => AppliedDeployments.Runtime(_store, s_yaml, s =>
    {
        var tier = s.FindTier("web")!;
        var servers = tier.Servers.Select((server, i) => server with { State = ServerStatus.InService, Address = $"127.0.1.{i + 1}" }).ToList();
        return s.WithTier(tier with { Servers = servers });
    });

    private void StartAll(HealthMonitor monitor, DeploymentRuntime runtime)
    {
        foreach (var server in runtime.State.FindTier("web")!.Servers)
        {
            monitor.Ensure(runtime, server, AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _services.Paths.Root));
        }
    }

    private static void StopAll(HealthMonitor monitor, DeploymentRuntime runtime)
    {
        foreach (var server in runtime.State.FindTier("web")!.Servers)
        {
            monitor.Stop(server.Name);
        }
    }

    /// <summary>Passes every probe and records when each started on the manual clock.</summary>
    private sealed class RecordingProbe(TimeProvider clock) : IHealthProbe
    {
        public ConcurrentQueue<DateTimeOffset> Starts { get; } = new();

        public Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken)
        {
            Starts.Enqueue(clock.GetUtcNow());
            return Task.FromResult(ProbeResult.Pass);
        }
    }

    /// <summary>Holds every probe until opened, counting how many run at once.</summary>
    private sealed class BlockingProbe : IHealthProbe
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _running;
        private int _maxRunning;
        private int _count;

        public int Running => Volatile.Read(ref _running);

        public int MaxRunning => Volatile.Read(ref _maxRunning);

        public int Count => Volatile.Read(ref _count);

        public void Open() => _open.TrySetResult();

        public async Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken)
        {
            var running = Interlocked.Increment(ref _running);
            InterlockedMax(ref _maxRunning, running);
            try
            {
                await _open.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                return ProbeResult.Pass;
            }
            finally
            {
                Interlocked.Decrement(ref _running);
                Interlocked.Increment(ref _count);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            var current = Volatile.Read(ref target);
            while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
            {
                current = seen;
            }
        }
    }
}
