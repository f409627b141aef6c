using Strata.Scaling.Metrics;
using Strata.Scaling.Policies;
using Strata.Spec.Model;
using Strata.Testing;
using static Strata.Scaling.Tests.TestTiers;

namespace Strata.Scaling.Tests;

[Trait("kind", "unit")]
public sealed class ThresholdPolicyTests
{
    private readonly ManualTimeProvider _time = new(Start);

    [Fact]
    public void Tick_AboveForLessThanTheBreachPeriod_DoesNothing()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 60));

        Assert.Null(autoscaler.Tick(Cpu(3, 90)));
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(autoscaler.Tick(Cpu(3, 90)));
    }

    [Fact]
    public void Tick_AboveForTheBreachPeriod_AddsStepAndSaysWhy()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 60, step: 2));

        autoscaler.Tick(Cpu(3, 87.5));
        _time.Advance(TimeSpan.FromSeconds(60));
        var decision = autoscaler.Tick(Cpu(3, 87.5));

        Assert.Equal(new ScalingDecision(5, "cpu 87.5% above 70% for 1m", "cpu", 87.5), decision);
    }

    [Fact]
    public void Tick_BreachCountsFromTheStartOfTheWindowThatShowedIt()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 1), Threshold(ScalingMetric.RequestRate, 10, null, breachSeconds: 2));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(autoscaler.Tick(Rate(1, 50, TimeSpan.FromSeconds(1))));
        // The next tick comes a little early, as ticks that wait for measurements do: the breach has still lasted
        // two one-second windows.
        _time.Advance(TimeSpan.FromMilliseconds(980));
        var decision = autoscaler.Tick(Rate(1, 50, TimeSpan.FromMilliseconds(980)));

        Assert.Equal(new ScalingDecision(2, "requestRate 50 req/s above 10 req/s for 2s", "requestRate", 50), decision);
    }

    [Fact]
    public void Tick_WindowAsLongAsTheBreachPeriod_ActsOnTheFirstWindowAbove()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 1), Threshold(ScalingMetric.RequestRate, 10, null, breachSeconds: 1));

        Assert.Null(autoscaler.Tick(Rate(1, 5, TimeSpan.FromSeconds(1))));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(2, autoscaler.Tick(Rate(1, 50, TimeSpan.FromSeconds(1)))?.NewDesired);
    }

    [Theory]
    [InlineData(300)]
    [InlineData(900)]
    public void Tick_LoadStartedPartWayThroughAWindow_ActsOnThatWindowNotTheNext(int loadMilliseconds)
    {
        // The spike benchmark: one-second ticks, a rule "above 10 for 1s", 100 req/s that start part-way through a
        // window. The window that shows them is averaged over the whole second, but still above the limit, and its
        // breach counts from the window's start: the decision comes at that tick, not a window later.
        var autoscaler = Autoscaler(_time, new ServerCount(1, 3, 1), Threshold(ScalingMetric.RequestRate, 10, 2, breachSeconds: 1, cooldownSeconds: 5));
        Assert.Null(autoscaler.Tick(Rate(1, 0, TimeSpan.FromSeconds(1))));
        _time.Advance(TimeSpan.FromSeconds(1));

        var averaged = 100.0 * loadMilliseconds / 1000;
        var decision = autoscaler.Tick(Rate(1, averaged, TimeSpan.FromSeconds(1)));

        Assert.Equal(2, decision?.NewDesired);
    }

    [Fact]
    public void Tick_WindowALittleShortOfTheBreachPeriod_ActsWithinTheTolerance()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 1), Threshold(ScalingMetric.RequestRate, 10, null, breachSeconds: 1));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(2, autoscaler.Tick(Rate(1, 50, TimeSpan.FromMilliseconds(950)))?.NewDesired);
    }

    [Fact]
    public void Tick_WindowFromLongBeforeTheRuleExisted_CountsOnlyFromItsStart()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 1), Threshold(ScalingMetric.RequestRate, 10, null, breachSeconds: 300));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(autoscaler.Tick(Rate(1, 50, TimeSpan.FromHours(1))));
        _time.Advance(TimeSpan.FromSeconds(299));
        Assert.Equal(2, autoscaler.Tick(Rate(1, 50, TimeSpan.FromSeconds(1)))?.NewDesired);
    }

    [Fact]
    public void Tick_WindowMeasuredMostlyDuringAPause_CountsOnlyFromTheResume()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 1), Threshold(ScalingMetric.RequestRate, 10, null, breachSeconds: 1, cooldownSeconds: 0));
        autoscaler.Pause();
        _time.Advance(TimeSpan.FromSeconds(10));
        autoscaler.Resume();
        _time.Advance(TimeSpan.FromMilliseconds(300));

        Assert.Null(autoscaler.Tick(Rate(1, 50, TimeSpan.FromSeconds(1))));
        _time.Advance(TimeSpan.FromMilliseconds(700));
        Assert.Equal(2, autoscaler.Tick(Rate(1, 50, TimeSpan.FromMilliseconds(700)))?.NewDesired);
    }

    private static ScalingInput Rate(int desired, double rate, TimeSpan window)
    {
        var input = Cpu(desired, 0, requestRate: rate);
        return input with { Metrics = input.Metrics! with { Window = window } };
    }

    [Fact]
    public void Tick_BreachInterrupted_StartsThePeriodOver()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 60));

        autoscaler.Tick(Cpu(3, 90));
        _time.Advance(TimeSpan.FromSeconds(40));
        autoscaler.Tick(Cpu(3, 50));
        _time.Advance(TimeSpan.FromSeconds(10));
        autoscaler.Tick(Cpu(3, 90));
        _time.Advance(TimeSpan.FromSeconds(40));

        Assert.Null(autoscaler.Tick(Cpu(3, 90)));
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(4, autoscaler.Tick(Cpu(3, 90))?.NewDesired);
    }

    [Fact]
    public void Tick_MissingMeasurements_InterruptTheBreach()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 60));

        autoscaler.Tick(Cpu(3, 90));
        _time.Advance(TimeSpan.FromSeconds(30));
        autoscaler.Tick(new ScalingInput { Desired = 3, InService = 3 });
        _time.Advance(TimeSpan.FromSeconds(30));

        Assert.Null(autoscaler.Tick(Cpu(3, 90)));
    }

    [Fact]
    public void Tick_WithinCooldownAfterAnAction_DoesNothingThenActsAgain()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 30, cooldownSeconds: 120));

        var decisions = Run(autoscaler, _time, TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(10), () => Cpu(3, 90));

        // Acts at 30 s, then the cooldown holds it until 150 s, then again after the next cooldown at 270 s.
        var acted = decisions.Select((d, i) => (d, Second: i * 10)).Where(x => x.d is not null).Select(x => x.Second).ToList();
        Assert.Equal([30, 150, 270], acted);
    }

    [Fact]
    public void Tick_BelowForTheBreachPeriod_RemovesStep()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 5), Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 60, step: 2));

        autoscaler.Tick(Cpu(5, 12));
        _time.Advance(TimeSpan.FromSeconds(60));
        var decision = autoscaler.Tick(Cpu(5, 12));

        Assert.Equal(new ScalingDecision(3, "cpu 12% below 30% for 1m", "cpu", 12), decision);
    }

    [Fact]
    public void Tick_AverageOverServers_DecidesNotTheBusiestServer()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 2), Threshold(ScalingMetric.Cpu, 70, null, breachSeconds: 0));
        var metrics = new TierMetrics
        {
            Tier = "web", Timestamp = Start, Servers = [new ServerMetrics("a", 100, 1, 1), new ServerMetrics("b", 30, 1, 1)],
        };

        Assert.Null(autoscaler.Tick(new ScalingInput { Desired = 2, InService = 2, Metrics = metrics }));
    }

    [Fact]
    public void Tick_LatencyThreshold_ReportsMilliseconds()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 2), Threshold(ScalingMetric.Latency, 250, null, breachSeconds: 0));
        var input = new ScalingInput
        {
            Desired = 2, InService = 2, Metrics = new TierMetrics { Tier = "web", Timestamp = Start, LatencyP99Milliseconds = 412.34 },
        };

        Assert.Equal(new ScalingDecision(3, "latency 412.3 ms above 250 ms for 0s", "latency", 412.34), autoscaler.Tick(input));
    }
}
