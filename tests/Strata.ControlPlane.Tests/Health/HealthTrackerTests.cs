using Strata.ControlPlane.Health;
using Strata.Providers.Probes;

namespace Strata.ControlPlane.Tests.Health;

[Trait("kind", "unit")]
public sealed class HealthTrackerTests
{
    private static readonly ProbeResult s_pass = ProbeResult.Pass;

    [Fact]
    public void Record_FewerPassesThanHealthyAfter_StaysUnknown()
    {
        var tracker = new HealthTracker(HealthyAfter: 2, UnhealthyAfter: 3).Record(s_pass);

        Assert.Equal(HealthVerdict.Unknown, tracker.Verdict);
        Assert.Equal(1, tracker.Passes);
    }

    [Fact]
    public void Record_HealthyAfterPassesInARow_BecomesHealthy()
    {
        var tracker = new HealthTracker(2, 3).Record(s_pass).Record(s_pass);

        Assert.Equal(HealthVerdict.Healthy, tracker.Verdict);
    }

    [Fact]
    public void Record_FailuresBelowUnhealthyAfter_KeepHealthy()
    {
        var tracker = Healthy().Record(ProbeResult.Fail("one")).Record(ProbeResult.Fail("two"));

        Assert.Equal(HealthVerdict.Healthy, tracker.Verdict);
        Assert.Equal(2, tracker.Failures);
    }

    [Fact]
    public void Record_UnhealthyAfterFailuresInARow_BecomesUnhealthyWithLastFailure()
    {
        var tracker = Healthy().Record(ProbeResult.Fail("one")).Record(ProbeResult.Fail("two")).Record(ProbeResult.Fail("GET / answered 500"));

        Assert.Equal(HealthVerdict.Unhealthy, tracker.Verdict);
        Assert.Equal("GET / answered 500", tracker.LastFailure);
    }

    [Fact]
    public void Record_FailureBetweenPasses_ResetsThePassStreak()
    {
        var tracker = new HealthTracker(2, 3).Record(s_pass).Record(ProbeResult.Fail("blip")).Record(s_pass);

        Assert.Equal(HealthVerdict.Unknown, tracker.Verdict);
        Assert.Equal(1, tracker.Passes);
        Assert.Equal(0, tracker.Failures);
    }

    [Fact]
    public void Record_PassBetweenFailures_ResetsTheFailureStreak()
    {
        var tracker = Healthy()
            .Record(ProbeResult.Fail("one")).Record(ProbeResult.Fail("two"))
            .Record(s_pass)
            .Record(ProbeResult.Fail("three")).Record(ProbeResult.Fail("four"));

        Assert.Equal(HealthVerdict.Healthy, tracker.Verdict);
    }

    [Fact]
    public void Record_PassesAfterUnhealthy_KeepLastFailureAndRecover()
    {
        var unhealthy = new HealthTracker(2, 1).Record(ProbeResult.Fail("refused"));
        var once = unhealthy.Record(s_pass);
        var twice = once.Record(s_pass);

        Assert.Equal(HealthVerdict.Unhealthy, unhealthy.Verdict);
        Assert.Equal(HealthVerdict.Unhealthy, once.Verdict);
        Assert.Equal(HealthVerdict.Healthy, twice.Verdict);
        Assert.Equal("refused", twice.LastFailure);
    }

    [Fact]
    public void Record_ReturnsNewTracker_LeavesOriginalUnchanged()
    {
        var original = new HealthTracker(1, 1);

        var next = original.Record(s_pass);

        Assert.Equal(HealthVerdict.Unknown, original.Verdict);
        Assert.Equal(0, original.Passes);
        Assert.Equal(HealthVerdict.Healthy, next.Verdict);
    }

    private static HealthTracker Healthy() => new HealthTracker(2, 3).Record(s_pass).Record(s_pass);
}
