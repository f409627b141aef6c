using Strata.ControlPlane.Health;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers.Probes;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Health;

/// <summary>The probes of many servers on one interval are spread over it, and only so many run at once.</summary>
[Trait("kind", "unit")]
public sealed class HealthMonitorScheduleTests : IAsyncDisposable
{
    private const int Servers = 100;

    private static readonly string s_yaml = Specs.Web(Servers, health: "{ http: /healthz, interval: 1s }");

    // On a tick of the 1 s interval, so that probes on one grid would all fall on the same instant.
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 12, 4, 21, 0, 0, TimeSpan.Zero));
    private readonly ControlPlaneServices _services;

    public HealthMonitorScheduleTests() => _services = new ControlPlaneServices(_clock);

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task Ensure_HundredServersInServiceOnOneInterval_ProbesSpreadOverTheInterval()
    {
        var probe = new ScriptedProbe(_clock);
        var monitor = new ProbingServices(_services, probe, _clock, new ControlPlaneOptions { Cores = 2 }).NewMonitor();
        var runtime = await InServiceAsync();
        StartAll(monitor, runtime);
        await Eventually.WaitAsync(() => probe.Count == Servers && _clock.PendingTimers == Servers, "the first probe of every server");

        // One step at a time, each time until every loop waits on the clock again, so each probe is seen at its instant.
        for (var elapsed = 0; elapsed < 1000; elapsed += 10)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            await Eventually.WaitAsync(() => _clock.PendingTimers == Servers, $"every probe loop to wait again after {elapsed + 10} ms");
        }

        var second = probe.Seen.Skip(Servers).GroupBy(p => p.At).Select(g => g.Count()).ToList();
        Assert.Equal(Servers, second.Sum());
        Assert.True(second.Count >= 50, $"the {Servers} probes of one interval ran at only {second.Count} instants");
        Assert.True(second.Max() <= 6, $"{second.Max()} of the {Servers} probes ran at the same instant");
        StopAll(monitor, runtime);
    }

    [Fact]
    public async Task Ensure_MoreServersThanProbeSlots_NoMoreThanTheLimitProbeAtOnce()
    {
        var probe = new BlockingProbe();
        var probing = new ProbingServices(_services, probe, _clock, new ControlPlaneOptions { Cores = 1, ProbesPerCore = 4 });
        var (monitor, schedule) = (probing.NewMonitor(), probing.Schedule);
        var runtime = await InServiceAsync();

        StartAll(monitor, runtime);
        await Eventually.WaitAsync(() => probe.Running + schedule.Waiting == Servers, "every server's first probe to run or wait for a slot");

        Assert.Equal(4, probe.Running);
        probe.Open();
        await Eventually.WaitAsync(() => probe.Count >= Servers, "every server's first probe");
        Assert.Equal(4, probe.MaxRunning);
        StopAll(monitor, runtime);
    }

    [Fact]
    public async Task Ensure_CheckChangedInPlaceWhileServersRun_NextProbesFollowTheNewInterval()
    {
        var probe = new ScriptedProbe(_clock);
        var monitor = new ProbingServices(_services, probe, _clock, new ControlPlaneOptions { Cores = 2 }).NewMonitor();
        var runtime = await InServiceAsync();
        var server = runtime.State.FindTier("web")!.Servers[0];
        monitor.Ensure(runtime, server, AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _services.Paths.Root));
        await Eventually.WaitAsync(() => probe.Count == 1 && _clock.PendingTimers == 1, "the first probe");

        var spec = runtime.Desired.Spec;
        var tier = spec.FindTier("web")!;
        var slower = spec with { Tiers = [tier with { Health = tier.Health! with { Interval = TimeSpan.FromSeconds(10), Path = "/ready" } }] };
        await runtime.ApplyAsync(runtime.Desired with { Spec = slower }, s => s, CancellationToken.None);
        // The clock moves to each probe's time exactly: a probe reads the clock on its own thread, and one that read it
        // while a longer step was still under way would see a time in the middle of that step.
        var end = _clock.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (_clock.NextTimerDueAt is { } due && due <= end)
        {
            _clock.Advance(due - _clock.GetUtcNow());
            await Eventually.WaitAsync(() => _clock.PendingTimers == 1 && _clock.NextTimerDueAt > due, $"the probe loop to wait again after the probe at {due:HH:mm:ss.ff}");
        }

        // The probe already waiting when the check changed ran on the old interval; every one after, on the new.
        var later = probe.Seen.Skip(2).ToList();
        Assert.Equal(3, later.Count);
        Assert.All(later, p => Assert.Equal("/ready", p.Check.Path));
        Assert.All(later.Zip(later.Skip(1)), pair => Assert.Equal(TimeSpan.FromSeconds(10), pair.Second.At - pair.First.At));
        monitor.Stop(server.Name);
    }

    private Task<DeploymentRuntime> InServiceAsync() => _services.RuntimeAsync(s_yaml, s =>
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
