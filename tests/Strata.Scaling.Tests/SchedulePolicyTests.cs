using Strata.Scaling.Policies;
using Strata.Spec.Model;
using Strata.Testing;
using static Strata.Scaling.Tests.TestTiers;

namespace Strata.Scaling.Tests;

[Trait("kind", "unit")]
public sealed class SchedulePolicyTests
{
    // Monday 5 January 2026, 07:58 UTC.
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 7, 58, 0, TimeSpan.Zero));

    [Fact]
    public void Tick_BeforeTheScheduledMinute_ChangesNothing()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 2), Schedule("0 8 * * 1-5", min: 4, max: 8));

        autoscaler.Tick(Cpu(2, 50));
        _time.Advance(TimeSpan.FromSeconds(119));

        Assert.Null(autoscaler.Tick(Cpu(2, 50)));
        Assert.Equal((1, 10), (autoscaler.State.Min, autoscaler.State.Max));
    }

    [Fact]
    public void Tick_AtTheScheduledMinute_SetsBoundsAndRaisesDesiredToMin()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 2), Schedule("0 8 * * 1-5", min: 4, max: 8));

        autoscaler.Tick(Cpu(2, 50));
        _time.Advance(TimeSpan.FromMinutes(2));
        var decision = autoscaler.Tick(Cpu(2, 50));

        Assert.Equal(new ScalingDecision(4, "schedule '0 8 * * 1-5' set min 4, max 8", null, null), decision);
        Assert.Equal((4, 8), (autoscaler.State.Min, autoscaler.State.Max));
        Assert.Null(autoscaler.Tick(Cpu(4, 50)));
    }

    [Fact]
    public void Tick_ScheduleWithDesired_SetsIt()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 2), Schedule("0 8 * * *", desired: 6));

        autoscaler.Tick(Cpu(2, 50));
        _time.Advance(TimeSpan.FromMinutes(3));

        Assert.Equal(6, autoscaler.Tick(Cpu(2, 50))?.NewDesired);
        Assert.Equal((1, 10), (autoscaler.State.Min, autoscaler.State.Max));
    }

    [Fact]
    public void Tick_OnlyBoundsChange_ReturnsTheSameDesiredWithTheReason()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Schedule("0 8 * * *", max: 5));

        autoscaler.Tick(Cpu(3, 50));
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(new ScalingDecision(3, "schedule '0 8 * * *' set max 5", null, null), autoscaler.Tick(Cpu(3, 50)));
        Assert.Equal(5, autoscaler.State.Max);
    }

    [Fact]
    public void Tick_MorningAndEveningSchedules_LaterOneWins()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 2),
            Schedule("0 18 * * *", min: 1, max: 3, desired: 1), Schedule("0 8 * * *", min: 4, max: 8, desired: 4));

        autoscaler.Tick(Cpu(2, 50));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(4, autoscaler.Tick(Cpu(2, 50))?.NewDesired);
        _time.Advance(TimeSpan.FromHours(10));
        var evening = autoscaler.Tick(Cpu(4, 50));

        Assert.Equal(new ScalingDecision(1, "schedule '0 18 * * *' set min 1, max 3, desired 1", null, null), evening);
        Assert.Equal((1, 3), (autoscaler.State.Min, autoscaler.State.Max));
    }

    [Fact]
    public void Tick_ScheduledMaxBelowDesired_LowersDesired()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 7), Schedule("0 8 * * *", max: 5));

        autoscaler.Tick(Cpu(7, 50));
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(5, autoscaler.Tick(Cpu(7, 50))?.NewDesired);
    }

    [Fact]
    public void Tick_ScheduledBounds_ClampOtherRules()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 2),
            Schedule("0 8 * * *", min: 2, max: 4), Threshold(ScalingMetric.Cpu, 70, null, breachSeconds: 0, cooldownSeconds: 0, step: 5));

        autoscaler.Tick(Cpu(2, 10));
        _time.Advance(TimeSpan.FromMinutes(2));
        autoscaler.Tick(Cpu(2, 10));
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(new ScalingDecision(4, "cpu 95% above 70% for 0s (limited to max 4)", "cpu", 95), autoscaler.Tick(Cpu(2, 95)));
    }

    [Fact]
    public void Tick_ScheduleFiredWhilePaused_TakesEffectOnResume()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 2), Schedule("0 8 * * *", min: 4));

        autoscaler.Tick(Cpu(2, 50));
        autoscaler.Pause();
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(autoscaler.Tick(Cpu(2, 50)));
        autoscaler.Resume();

        Assert.Equal(4, autoscaler.Tick(Cpu(2, 50))?.NewDesired);
    }
}
