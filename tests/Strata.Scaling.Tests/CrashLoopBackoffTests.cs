using Strata.Testing;

namespace Strata.Scaling.Tests;

[Trait("kind", "unit")]
public sealed class CrashLoopBackoffTests
{
    private readonly ManualTimeProvider _time = new(TestTiers.Start);

    [Fact]
    public void RecordFailure_ConsecutiveFailures_DoubleTheDelay()
    {
        var backoff = Backoff(jitter: 0);

        var delays = Enumerable.Range(0, 5).Select(_ => backoff.RecordFailure("web").Delay.TotalSeconds).ToList();

        Assert.Equal([1, 2, 4, 8, 16], delays);
    }

    [Fact]
    public void RecordFailure_ManyFailures_IsCappedAtMaxDelay()
    {
        var backoff = Backoff(jitter: 0);

        var delays = Enumerable.Range(0, 100).Select(_ => backoff.RecordFailure("web").Delay).ToList();

        Assert.Equal(TimeSpan.FromMinutes(5), delays[^1]);
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)));
    }

    [Theory]
    [InlineData(0.0, 10)]
    [InlineData(0.5, 9)]
    [InlineData(0.999999, 8)]
    public void RecordFailure_Jitter_TakesUpToTheFactorOff(double random, double expectedSeconds)
    {
        var backoff = new CrashLoopBackoff(new CrashLoopBackoffOptions { BaseDelay = TimeSpan.FromSeconds(10), JitterFactor = 0.2 }, _time, new FixedRandom(random));

        Assert.Equal(expectedSeconds, backoff.RecordFailure("web").Delay.TotalSeconds, precision: 3);
    }

    [Fact]
    public void RecordFailure_JitterAtTheCap_StaysAtOrBelowTheCap()
    {
        var options = new CrashLoopBackoffOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) };
        var backoff = new CrashLoopBackoff(options, _time, new Random(42));

        var delays = Enumerable.Range(0, 50).Select(_ => backoff.RecordFailure("web").Delay).ToList();

        Assert.All(delays[4..], d => Assert.InRange(d, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void CanLaunch_BeforeAndAfterTheDelay_WaitsThenAllows()
    {
        var backoff = Backoff(jitter: 0);
        backoff.RecordFailure("web");
        backoff.RecordFailure("web");

        Assert.False(backoff.CanLaunch("web"));
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.RemainingWait("web"));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(backoff.CanLaunch("web"));
        Assert.True(backoff.CanLaunch("db"));
    }

    [Fact]
    public void RecordFailure_ThirdFailure_EntersCrashLoopOnce()
    {
        var backoff = Backoff(jitter: 0);

        var entered = Enumerable.Range(0, 5).Select(_ => backoff.RecordFailure("web").EnteredCrashLoop).ToList();

        Assert.Equal([false, false, true, false, false], entered);
        Assert.True(backoff.Tiers["web"].CrashLooping);
    }

    [Fact]
    public void RecordInService_ShorterThanStableAfter_KeepsTheFailures()
    {
        var backoff = Backoff(jitter: 0);
        backoff.RecordFailure("web");
        var since = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(29));

        Assert.False(backoff.RecordInService("web", since));
        Assert.Equal(2, backoff.RecordFailure("web").State.ConsecutiveFailures);
    }

    [Fact]
    public void RecordInService_StableAfterACrashLoop_ResetsAndReportsRecovery()
    {
        var backoff = Backoff(jitter: 0);
        for (var i = 0; i < 3; i++)
        {
            backoff.RecordFailure("web");
        }

        var since = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(30));

        Assert.True(backoff.RecordInService("web", since));
        Assert.False(backoff.Tiers.ContainsKey("web"));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.RecordFailure("web").Delay);
    }

    [Fact]
    public void RecordFailure_TiersAreIndependent()
    {
        var backoff = Backoff(jitter: 0);
        backoff.RecordFailure("web");
        backoff.RecordFailure("web");

        Assert.Equal(1, backoff.RecordFailure("db").State.ConsecutiveFailures);
    }

    [Fact]
    public void Constructor_InvalidOptions_ListsEveryProblem()
    {
        var options = new CrashLoopBackoffOptions { BaseDelay = TimeSpan.Zero, JitterFactor = 2, CrashLoopAfter = 0 };

        var error = Assert.Throws<ArgumentException>(() => new CrashLoopBackoff(options, _time, new Random(1)));

        Assert.Contains("BaseDelay must be positive", error.Message, StringComparison.Ordinal);
        Assert.Contains("JitterFactor must be from 0 to 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("CrashLoopAfter must be at least 1", error.Message, StringComparison.Ordinal);
    }

    private CrashLoopBackoff Backoff(double jitter) =>
        new(new CrashLoopBackoffOptions { JitterFactor = jitter }, _time, new Random(7));

    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;
    }
}
