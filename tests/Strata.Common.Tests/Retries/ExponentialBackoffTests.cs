using Strata.Common.Retries;

namespace Strata.Common.Tests.Retries;

[Trait("kind", "unit")]
public sealed class ExponentialBackoffTests
{
    private static readonly TimeSpan s_second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_fiveMinutes = TimeSpan.FromMinutes(5);

    [Fact]
    public void Delay_ConsecutiveFailures_DoubleTheWait()
    {
        var delays = Enumerable.Range(1, 5).Select(n => ExponentialBackoff.Delay(n, s_second, s_fiveMinutes, 0, new Random(7)).TotalSeconds).ToList();

        Assert.Equal([1, 2, 4, 8, 16], delays);
    }

    [Fact]
    public void Delay_WithoutJitter_DoublesUpToTheCapAsWithNoJitterDrawn()
    {
        var delays = Enumerable.Range(1, 12).Select(n => ExponentialBackoff.Delay(n, s_second, s_fiveMinutes)).ToList();

        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300], delays.Select(d => d.TotalSeconds));
        Assert.Equal(delays, Enumerable.Range(1, 12).Select(n => ExponentialBackoff.Delay(n, s_second, s_fiveMinutes, 0.2, new FixedRandom(0))));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialBackoff.Delay(0, s_second, s_fiveMinutes));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialBackoff.Delay(1, s_fiveMinutes, s_second));
    }

    [Fact]
    public void Delay_ManyFailures_IsCappedWithoutOverflow()
    {
        var delays = Enumerable.Range(1, 100).Select(n => ExponentialBackoff.Delay(n, s_second, s_fiveMinutes, 0, new Random(7))).ToList();

        Assert.Equal(s_fiveMinutes, delays[^1]);
        Assert.Equal(s_fiveMinutes, ExponentialBackoff.Delay(int.MaxValue, s_second, s_fiveMinutes, 0, new Random(7)));
        Assert.All(delays, d => Assert.InRange(d, s_second, s_fiveMinutes));
    }

    [Theory]
    [InlineData(0.0, 10)]
    [InlineData(0.5, 9)]
    [InlineData(0.999999, 8)]
    public void Delay_Jitter_TakesUpToTheFactorOff(double random, double expectedSeconds)
    {
        var delay = ExponentialBackoff.Delay(1, TimeSpan.FromSeconds(10), s_fiveMinutes, 0.2, new FixedRandom(random));

        Assert.Equal(expectedSeconds, delay.TotalSeconds, precision: 3);
    }

    [Fact]
    public void Delay_JitterAtTheCap_StaysAtOrBelowTheCap()
    {
        var random = new Random(42);

        var delays = Enumerable.Range(1, 50).Select(n => ExponentialBackoff.Delay(n, s_second, TimeSpan.FromSeconds(10), 0.2, random)).ToList();

        Assert.All(delays[4..], d => Assert.InRange(d, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Delay_InvalidArguments_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialBackoff.Delay(0, s_second, s_fiveMinutes, 0.2, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialBackoff.Delay(1, TimeSpan.Zero, s_fiveMinutes, 0.2, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialBackoff.Delay(1, s_fiveMinutes, s_second, 0.2, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialBackoff.Delay(1, s_second, s_fiveMinutes, 2, new Random(1)));
    }

    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;
    }
}
