using Microsoft.Extensions.Options;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Hosting;
using Strata.Planning.State;
using Strata.Providers.Probes;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Health;

[Trait("kind", "unit")]
public sealed class ProbeScheduleTests
{
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(10);
    private static readonly DateTimeOffset s_onTick = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);
    private static readonly ProbeTarget s_target = new("127.0.0.1", 8000, null, new Dictionary<string, string>());

    [Fact]
    public void NextDelay_Booting_ProbesAtBootInterval()
    {
        var delay = Schedule().NextDelay("shop-web-a", ServerStatus.Booting, TimeSpan.FromSeconds(2), s_onTick.AddMilliseconds(730));

        Assert.Equal(TimeSpan.FromMilliseconds(100), delay);
    }

    [Fact]
    public void NextDelay_BootIntervalLongerThanCheck_KeepsTheCheckPhase()
    {
        var interval = TimeSpan.FromMilliseconds(50);
        var phase = ProbePhase.Of("shop-web-a", interval, s_step);

        var delay = Schedule().NextDelay("shop-web-a", ServerStatus.Booting, interval, s_onTick + phase);

        Assert.Equal(interval, delay);
    }

    [Fact]
    public async Task RunAsync_EveryProbeThreadBusy_NextWaitsUntilOneIsFree()
    {
        var clock = new ManualTimeProvider(s_onTick);
        var probe = new GatedProbe(clock, TimeSpan.Zero);
        var schedule = Schedule(cores: 2, perCore: 3, probe, clock);
        var running = Enumerable.Range(0, schedule.Limit).Select(_ => schedule.RunAsync(s_check, s_target, CancellationToken.None)).ToList();
        await Eventually.WaitAsync(() => probe.Running == 6, "six probes to run at once");

        var next = schedule.RunAsync(s_check, s_target, CancellationToken.None);
        await Eventually.WaitAsync(() => schedule.Waiting == 1, "the seventh probe to wait for a thread");
        Assert.False(next.IsCompleted);
        probe.Open(1);
        await Eventually.WaitAsync(() => probe.Running == 6 && schedule.Waiting == 0, "the seventh probe to take the thread given back");
        probe.Open(6);
        await Task.WhenAll(running.Append(next)).WithTimeout();

        Assert.Equal(6, schedule.Limit);
        Assert.Equal(7, probe.Count);
        Assert.Equal(6, probe.MaxRunning);
    }

    [Fact]
    public async Task RunAsync_EveryProbeThreadBusy_ProbesOnceOneIsFreeAndTimesTheRunFromThen()
    {
        var clock = new ManualTimeProvider(s_onTick);
        var probe = new GatedProbe(clock, TimeSpan.FromMilliseconds(300));
        var schedule = Schedule(cores: 1, perCore: 1, probe, clock);
        var first = schedule.RunAsync(s_check, s_target, CancellationToken.None);
        await Eventually.WaitAsync(() => probe.Running == 1, "the first probe to run");

        var run = schedule.RunAsync(s_check, s_target, CancellationToken.None);
        Assert.False(run.IsCompleted, "a probe ran without a thread");
        clock.Advance(TimeSpan.FromSeconds(2));
        probe.Open(2);
        await first.WithTimeout();
        var probed = await run.WithTimeout();

        Assert.Equal(2, probe.Count);
        Assert.Equal(s_onTick + TimeSpan.FromSeconds(2.3), probed.Started);
        Assert.Equal(TimeSpan.FromMilliseconds(300), probed.Finished - probed.Started);
        Assert.True(probed.Result.Passed);
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaitingForAThread_NeverProbes()
    {
        var clock = new ManualTimeProvider(s_onTick);
        var probe = new GatedProbe(clock, TimeSpan.Zero);
        var schedule = Schedule(cores: 1, perCore: 1, probe, clock);
        var first = schedule.RunAsync(s_check, s_target, CancellationToken.None);
        await Eventually.WaitAsync(() => probe.Running == 1, "the first probe to run");
        using var cancel = new CancellationTokenSource();

        var waiting = schedule.RunAsync(s_check, s_target, cancel.Token);
        await cancel.CancelAsync();
        probe.Open(1);
        await first.WithTimeout();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WithTimeout());
        Assert.Equal(1, probe.Count);
    }

    private static readonly HealthCheckSpec s_check = new() { Kind = HealthCheckKind.Http, Path = "/healthz" };

    private static ProbeSchedule Schedule(int cores = 2, int perCore = 8, IHealthProbe? probe = null, ManualTimeProvider? clock = null)
    {
        clock ??= new ManualTimeProvider(s_onTick);
        var options = new ControlPlaneOptions { Cores = cores, ProbesPerCore = perCore, ProbeSpreadStep = s_step };
        return new(probe ?? new GatedProbe(clock, TimeSpan.Zero), Options.Create(options), clock);
    }

    /// <summary>
    /// Blocks each probe (on its probe thread) until opened, then passes it after moving the manual clock on by how
    /// long it takes; counts how many run at once.
    /// </summary>
    private sealed class GatedProbe(ManualTimeProvider clock, TimeSpan takes) : IHealthProbe
    {
        private readonly SemaphoreSlim _gate = new(0);
        private int _count;
        private int _running;
        private int _maxRunning;

        public int Count => Volatile.Read(ref _count);

        public int Running => Volatile.Read(ref _running);

        public int MaxRunning => Volatile.Read(ref _maxRunning);

        public void Open(int probes) => _gate.Release(probes);

        public Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken) =>
            Task.FromResult(Probe(check, target, cancellationToken));

        public ProbeResult Probe(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken)
        {
            var running = Interlocked.Increment(ref _running);
            lock (_gate)
            {
                _maxRunning = Math.Max(_maxRunning, running);
            }

            _gate.Wait(TimeSpan.FromSeconds(30), CancellationToken.None);
            Interlocked.Decrement(ref _running);
            clock.Advance(takes);
            Interlocked.Increment(ref _count);
            return ProbeResult.Pass;
        }
    }
}
