using Strata.Scaling.Policies;
using Strata.Spec.Model;
using Strata.Testing;
using static Strata.Scaling.Tests.TestTiers;

namespace Strata.Scaling.Tests;

[Trait("kind", "unit")]
public sealed class TargetTrackingPolicyTests
{
    private readonly ManualTimeProvider _time = new(Start);

    [Fact]
    public void Tick_AboveTarget_ScalesOutAtOnceToTheComputedCount()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 4), Target(ScalingMetric.Cpu, 60));

        var decision = autoscaler.Tick(Cpu(4, 90));

        Assert.Equal(new ScalingDecision(6, "cpu 90%, target 60%: 6 servers", "cpu", 90), decision);
    }

    [Fact]
    public void Tick_RequestRatePerServer_ScalesToTotalOverTarget()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 3), Target(ScalingMetric.RequestRate, 200));

        var decision = autoscaler.Tick(Cpu(3, 10, requestRate: 450));

        Assert.Equal(7, decision?.NewDesired);
        Assert.Equal("requestRate 450 req/s, target 200 req/s: 7 servers", decision?.Reason);
    }

    [Fact]
    public void Tick_WithinTolerance_KeepsTheCount()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 4), Target(ScalingMetric.Cpu, 60));

        Assert.Null(autoscaler.Tick(Cpu(4, 65)));
        Assert.Null(autoscaler.Tick(Cpu(4, 55)));
    }

    [Fact]
    public void Tick_BelowTarget_ScalesInOnlyAfterTheStabilizationWindow()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 6), Target(ScalingMetric.Cpu, 60, windowSeconds: 300, step: 10));

        var decisions = Run(autoscaler, _time, TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(15), () => Cpu(6, 20));
        var after = autoscaler.Tick(Cpu(6, 20));

        Assert.All(decisions, Assert.Null);
        Assert.Equal(2, after?.NewDesired);
    }

    [Fact]
    public void Tick_BelowTarget_ScalesInToTheHighestRecommendationInTheWindow()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 6), Target(ScalingMetric.Cpu, 60, windowSeconds: 120, step: 10));

        var cpu = new Queue<double>([20, 20, 50, 20, 20, 20, 20, 20]);
        Run(autoscaler, _time, TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(30), () => Cpu(6, cpu.Dequeue()));

        // 50% on 6 servers asks for 5, and that was 60 s ago, inside the 120 s window.
        Assert.Equal(5, autoscaler.Tick(Cpu(6, cpu.Dequeue()))?.NewDesired);
    }

    [Fact]
    public void Tick_ScaleIn_RemovesAtMostStepPerAction()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 8), Target(ScalingMetric.Cpu, 60, windowSeconds: 0, step: 2));

        Assert.Equal(6, autoscaler.Tick(Cpu(8, 10))?.NewDesired);
    }

    [Fact]
    public void Tick_AfterScalingOut_WaitsAWholeWindowBeforeScalingIn()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 4), Target(ScalingMetric.Cpu, 60, windowSeconds: 300));

        Assert.Equal(8, autoscaler.Tick(Cpu(4, 120))?.NewDesired);
        var decisions = Run(autoscaler, _time, TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(60), () => Cpu(8, 20));

        Assert.All(decisions, Assert.Null);
        Assert.Equal(7, autoscaler.Tick(Cpu(8, 20))?.NewDesired);
    }

    [Fact]
    public void Tick_ServersStillBooting_DoesNotScaleInWhileAboveTarget()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(1, 20, 6), Target(ScalingMetric.Cpu, 60, windowSeconds: 0));

        // Two of six are in service at 90%: three would do for them, but the others are booting for a reason.
        Assert.Null(autoscaler.Tick(Cpu(6, 90, inService: 2)));
    }

    [Fact]
    public void Tick_NoServerInService_HasNoOpinion()
    {
        var autoscaler = Autoscaler(_time, new ServerCount(0, 20, 2), Target(ScalingMetric.RequestRate, 100, windowSeconds: 0));

        Assert.Null(autoscaler.Tick(Cpu(2, 0, inService: 0, requestRate: 500)));
    }
}
