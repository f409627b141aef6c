using Strata.LoadBalancing.Proxy.Membership;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentile_Empty_IsZero()
    {
        Assert.Equal(TimeSpan.Zero, new LatencyHistogram().Percentile(0.99));
    }

    [Fact]
    public void Percentile_KnownSamples_WithinBucketResolution()
    {
        var histogram = new LatencyHistogram();
        for (var i = 1; i <= 1000; i++)
        {
            histogram.Record(i * 100);
        }

        var p50 = histogram.Percentile(0.50).TotalMicroseconds;
        var p99 = histogram.Percentile(0.99).TotalMicroseconds;

        Assert.InRange(p50, 50_000, 50_000 * 1.25);
        Assert.InRange(p99, 99_000, 99_000 * 1.25);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(3L)]
    [InlineData(4L)]
    [InlineData(1_000L)]
    [InlineData(123_456_789L)]
    public void IndexOf_AnyValue_FallsInBucketWhoseUpperBoundIsAbove(long microseconds)
    {
        var index = LatencyHistogram.IndexOf(microseconds);

        Assert.True(LatencyHistogram.UpperBound(index) > microseconds);
        Assert.True(index == 0 || LatencyHistogram.UpperBound(index - 1) <= microseconds);
    }
}
