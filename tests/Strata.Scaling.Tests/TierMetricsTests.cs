using Strata.Scaling.Metrics;
using Strata.Spec.Model;

namespace Strata.Scaling.Tests;

[Trait("kind", "unit")]
public sealed class TierMetricsTests
{
    [Fact]
    public void Value_CpuAndMemory_AverageOverServers()
    {
        var metrics = new TierMetrics
        {
            Tier = "web", Timestamp = TestTiers.Start,
            Servers = [new ServerMetrics("a", 80, 100, 10), new ServerMetrics("b", 40, 300, 30)],
        };

        Assert.Equal(60, metrics.Value(ScalingMetric.Cpu));
        Assert.Equal(20, metrics.Value(ScalingMetric.Memory));
    }

    [Fact]
    public void Value_LoadBalancerFigures_AreTakenAsGiven()
    {
        var metrics = new TierMetrics
        {
            Tier = "web", Timestamp = TestTiers.Start, RequestsPerSecondPerServer = 150, LatencyP99Milliseconds = 42, ErrorPercent = 1.5,
        };

        Assert.Equal(150, metrics.Value(ScalingMetric.RequestRate));
        Assert.Equal(42, metrics.Value(ScalingMetric.Latency));
        Assert.Equal(1.5, metrics.Value(ScalingMetric.ErrorRate));
    }

    [Fact]
    public void Value_NothingMeasured_IsNull()
    {
        var metrics = new TierMetrics { Tier = "web", Timestamp = TestTiers.Start };

        Assert.All(Enum.GetValues<ScalingMetric>(), m => Assert.Null(metrics.Value(m)));
    }
}
