using Strata.ControlPlane.Health;
using Strata.Planning.State;

namespace Strata.ControlPlane.Tests.Health;

[Trait("kind", "unit")]
public sealed class HealthMonitorTests
{
    private static readonly TimeSpan s_boot = TimeSpan.FromMilliseconds(100);
    private static readonly DateTimeOffset s_onTick = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void NextProbeDelay_Booting_ProbesAtBootInterval()
    {
        var delay = HealthMonitor.NextProbeDelay(ServerStatus.Booting, TimeSpan.FromSeconds(2), s_boot, s_onTick.AddMilliseconds(730));

        Assert.Equal(s_boot, delay);
    }

    [Fact]
    public void NextProbeDelay_BootIntervalLongerThanCheck_KeepsCheckInterval()
    {
        var delay = HealthMonitor.NextProbeDelay(ServerStatus.Booting, TimeSpan.FromMilliseconds(50), s_boot, s_onTick.AddMilliseconds(20));

        Assert.Equal(TimeSpan.FromMilliseconds(30), delay);
    }

    [Theory]
    [InlineData(ServerStatus.InService, 730, 1270)]
    [InlineData(ServerStatus.Unhealthy, 1999, 1)]
    [InlineData(ServerStatus.InService, 0, 2000)]
    public void NextProbeDelay_NotBooting_WaitsForNextTickOfTheInterval(ServerStatus state, int msPastTick, int expectedMs)
    {
        var delay = HealthMonitor.NextProbeDelay(state, TimeSpan.FromSeconds(2), s_boot, s_onTick.AddMilliseconds(msPastTick));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), delay);
    }
}
