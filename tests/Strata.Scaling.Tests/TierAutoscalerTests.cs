using System.Text.Json;
using Strata.Scaling.Policies;
using Strata.Spec.Model;
using Strata.Testing;
using static Strata.Scaling.Tests.TestTiers;

namespace Strata.Scaling.Tests;

[Trait("kind", "unit")]
public sealed class TierAutoscalerTests
{
    private readonly ManualTimeProvider _time = new(Start);

    [Fact]
    public void Tick_TwoRulesWantOut_TakesTheLargest()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 4),
            Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 0), Target(ScalingMetric.RequestRate, 100));

        var decision = autoscaler.Tick(Cpu(4, 90, requestRate: 200));

        Assert.Equal(new ScalingDecision(8, "requestRate 200 req/s, target 100 req/s: 8 servers", "requestRate", 200), decision);
    }

    [Fact]
    public void Tick_OneRuleWantsOutAnotherIn_ScalesOut()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 4),
            Threshold(ScalingMetric.Cpu, null, 30, breachSeconds: 0), Threshold(ScalingMetric.RequestRate, 100, null, breachSeconds: 0));

        Assert.Equal(5, autoscaler.Tick(Cpu(4, 10, requestRate: 150))?.NewDesired);
    }

    [Fact]
    public void Tick_RuleWantsOutButIsCoolingDown_BlocksScaleInByAnother()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 4),
            Threshold(ScalingMetric.RequestRate, 100, null, breachSeconds: 0, cooldownSeconds: 300),
            Threshold(ScalingMetric.Cpu, null, 30, breachSeconds: 0, cooldownSeconds: 0));

        Assert.Equal(5, autoscaler.Tick(Cpu(4, 50, requestRate: 150))?.NewDesired);
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Null(autoscaler.Tick(Cpu(5, 10, requestRate: 150)));
    }

    [Fact]
    public void Tick_TwoRulesWantIn_RemovesTheFewest()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 8),
            Threshold(ScalingMetric.Cpu, null, 30, breachSeconds: 0, step: 3), Threshold(ScalingMetric.Memory, null, 50, breachSeconds: 0, step: 1));

        Assert.Equal(new ScalingDecision(7, "memory 10% below 50% for 0s", "memory", 10), autoscaler.Tick(Cpu(8, 10)));
    }

    [Fact]
    public void Tick_ScaleOutBeyondMax_IsLimitedToMax()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 5, 4), Target(ScalingMetric.Cpu, 50));

        Assert.Equal(new ScalingDecision(5, "cpu 100%, target 50%: 8 servers (limited to max 5)", "cpu", 100), autoscaler.Tick(Cpu(4, 100)));
    }

    [Fact]
    public void Tick_AlreadyAtMinWhenRuleWantsIn_DoesNothing()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(2, 5, 2), Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 0));

        Assert.Null(autoscaler.Tick(Cpu(2, 5)));
    }

    [Fact]
    public void Tick_DesiredOutsideBoundsWithoutRules_IsBroughtBackWithin()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(2, 5, 3));

        Assert.Equal(new ScalingDecision(5, "desired 9 is above max 5", null, null), autoscaler.Tick(new ScalingInput { Desired = 9, InService = 9 }));
        Assert.Equal(new ScalingDecision(2, "desired 1 is below min 2", null, null), autoscaler.Tick(new ScalingInput { Desired = 1, InService = 1 }));
    }

    [Fact]
    public void Tick_WhilePaused_DecidesNothing()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 0, cooldownSeconds: 0));

        autoscaler.Pause();

        Assert.True(autoscaler.State.Paused);
        Assert.Null(autoscaler.Tick(Cpu(3, 99)));
    }

    [Fact]
    public void Resume_AfterPause_StartsTheBreachPeriodOver()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 60));

        autoscaler.Tick(Cpu(3, 99));
        autoscaler.Pause();
        _time.Advance(TimeSpan.FromMinutes(5));
        autoscaler.Resume();

        Assert.Null(autoscaler.Tick(Cpu(3, 99)));
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(4, autoscaler.Tick(Cpu(3, 99))?.NewDesired);
    }

    [Fact]
    public void State_AfterEachTick_IsANewVersion()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3), Threshold(ScalingMetric.Cpu, 70, 30));
        var before = autoscaler.State;

        autoscaler.Tick(Cpu(3, 99));

        Assert.Equal(before.Version + 1, autoscaler.State.Version);
        Assert.Equal(new ThresholdState(null, null, Start), before.Policies[0]);
        Assert.Equal(new ThresholdState(Start, null, Start), autoscaler.State.Policies[0]);
    }

    [Fact]
    public void Constructor_RestoredStateFromJson_ContinuesTheBreachPeriod()
    {
        var rules = new[] { Threshold(ScalingMetric.Cpu, 70, 30, breachSeconds: 60), Target(ScalingMetric.Cpu, 75), Hook() };
        var first = Autoscaler(_time, new ServerCount(1, 10, 3), rules);
        first.Tick(Cpu(3, 75));
        var json = JsonSerializer.Serialize(first.State);
        _time.Advance(TimeSpan.FromSeconds(60));

        var restored = new TierAutoscaler(Tier(new ServerCount(1, 10, 3), rules), new TierAutoscalerOptions(), _time, JsonSerializer.Deserialize<TierScalingState>(json));

        Assert.Equal(first.State.Policies[0], restored.State.Policies[0]);
        Assert.Equal(4, restored.Tick(Cpu(3, 75))?.NewDesired);
    }

    [Fact]
    public void Constructor_RestoredStateOfChangedRules_StartsThoseAfresh()
    {
        var old = new TierScalingState { Min = 0, Max = 50, Policies = [new HookState()] };

        var autoscaler = new TierAutoscaler(Tier(new ServerCount(1, 10, 3), Threshold(ScalingMetric.Cpu, 70, 30)), new TierAutoscalerOptions(), _time, old);

        Assert.Equal(new ThresholdState(null, null, Start), autoscaler.State.Policies[0]);
        Assert.Equal((1, 10), (autoscaler.State.Min, autoscaler.State.Max));
    }

    [Fact]
    public void Constructor_InvalidRules_ListsEveryProblem()
    {
        var tier = Tier(new ServerCount(1, 10, 3),
            new ScalingRuleSpec { Kind = ScalingRuleKind.Threshold, Metric = ScalingMetric.Cpu },
            Target(ScalingMetric.Cpu, 0),
            Schedule("0 8 * *", min: 1),
            new ScalingRuleSpec { Kind = ScalingRuleKind.Hook, Step = 0 });

        var error = Assert.Throws<ArgumentException>(() => new TierAutoscaler(tier, new TierAutoscalerOptions(), _time));

        Assert.Contains("Cannot autoscale tier 'web'", error.Message, StringComparison.Ordinal);
        Assert.Contains("scaling[0]: a threshold rule needs above, below or both", error.Message, StringComparison.Ordinal);
        Assert.Contains("scaling[1]: a target-tracking rule needs a target above 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("scaling[2]: a cron expression has 5 fields", error.Message, StringComparison.Ordinal);
        Assert.Contains("scaling[3]: step must be at least 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("scaling[3]: a hook rule needs a hook name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new TierAutoscaler(Tier(new ServerCount(1, 10, 3)), new TierAutoscalerOptions { TargetTolerance = 1.5, BreachWindowTolerance = -0.1 }, _time));

        Assert.Contains("TargetTolerance must be at least 0 and less than 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("BreachWindowTolerance must be at least 0 and less than 1, not -0.1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tick_NegativeDesired_Throws()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 10, 3));

        Assert.Throws<ArgumentOutOfRangeException>(() => autoscaler.Tick(new ScalingInput { Desired = -1, InService = 0 }));
    }
}
