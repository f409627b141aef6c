using Strata.LoadBalancing.Proxy;
using Strata.LoadBalancing.Proxy.Membership;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class DrainSweeperTests
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(100);
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public async Task RunAsync_NoMemberDraining_ArmsNoTimerUntilOneLeaves()
    {
        var table = new MemberTable(_time, drainTimeout: TimeSpan.FromSeconds(10));
        table.Apply([Doc("web-1", 1), Doc("web-2", 2)]);
        var removed = new List<string>();
        using var stop = new CancellationTokenSource();
        var run = new DrainSweeper(table, s_interval, _time, name => { lock (removed) { removed.Add(name); } }).RunAsync(stop.Token);

        // Idle: no sweep is due, however long the proxy runs.
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Null(_time.NextTimerDueAt);

        table.Apply([Doc("web-2", 2)]);
        await Eventually.WaitAsync(() => _time.NextTimerDueAt is not null, "a sweep armed once web-1 drains");
        _time.Advance(s_interval);
        await Eventually.WaitAsync(() => { lock (removed) { return removed.Contains("web-1"); } }, "web-1 retired by the sweep");
        Assert.Empty(table.Current.Draining);

        // Idle again: the sweeper waits for the next member to leave, with no timer.
        await Eventually.WaitAsync(() => _time.NextTimerDueAt is null, "no sweep armed once nothing drains");

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WithTimeout());
    }

    [Fact]
    public async Task RunAsync_MemberStillBusy_SweepsEveryIntervalUntilDrained()
    {
        var table = new MemberTable(_time, drainTimeout: TimeSpan.FromSeconds(10));
        table.Apply([Doc("web-1", 1)]);
        var busy = table.Current.Active[0];
        busy.Enter();
        var removed = 0;
        using var stop = new CancellationTokenSource();
        var run = new DrainSweeper(table, s_interval, _time, _ => Interlocked.Increment(ref removed)).RunAsync(stop.Token);
        table.Apply([]);

        for (var i = 0; i < 3; i++)
        {
            await Eventually.WaitAsync(() => _time.NextTimerDueAt is not null, $"sweep {i + 1} armed while web-1 drains");
            _time.Advance(s_interval);
        }

        Assert.Equal(0, Volatile.Read(ref removed));
        busy.Exit(elapsedMicroseconds: 10, failed: false);
        await Eventually.WaitAsync(
            () =>
            {
                if (_time.NextTimerDueAt is not null && Volatile.Read(ref removed) == 0)
                {
                    _time.Advance(s_interval);
                }

                return Volatile.Read(ref removed) == 1;
            },
            "web-1 retired at the sweep after its request finished");
        Assert.Empty(table.Current.Draining);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WithTimeout());
    }

    private static MemberDocument Doc(string name, int port) => new() { Name = name, Address = "127.0.0.1", Port = port };
}
