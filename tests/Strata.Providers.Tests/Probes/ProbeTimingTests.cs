using Strata.Providers.Probes;

namespace Strata.Providers.Tests.Probes;

[Trait("kind", "unit")]
public sealed class ProbeTimingTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(500);
    private static readonly ProbeResult s_timedOut = ProbeResult.Fail("timed out after 500 ms") with { TimedOut = true };

    [Theory]
    [InlineData(0, 500, false)]
    [InlineData(250, 500, false)]
    [InlineData(251, 500, true)]
    [InlineData(0, 750, false)]
    [InlineData(0, 751, true)]
    public void IsInconclusive_TimedOut_OnlyWhenTheControlPlaneRanLate(int lateMs, int tookMs, bool expected) =>
        Assert.Equal(expected, ProbeTiming.IsInconclusive(s_timedOut, TimeSpan.FromMilliseconds(lateMs), TimeSpan.FromMilliseconds(tookMs), s_timeout));

    [Fact]
    public void IsInconclusive_AnsweredFailureOrPass_AlwaysCounts()
    {
        var late = TimeSpan.FromSeconds(5);

        Assert.False(ProbeTiming.IsInconclusive(ProbeResult.Fail("GET /healthz answered 503"), late, late, s_timeout));
        Assert.False(ProbeTiming.IsInconclusive(ProbeResult.Pass, late, late, s_timeout));
    }
}
