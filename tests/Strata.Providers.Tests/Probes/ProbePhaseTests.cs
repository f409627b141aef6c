using Strata.Providers.Probes;

namespace Strata.Providers.Tests.Probes;

[Trait("kind", "unit")]
public sealed class ProbePhaseTests
{
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(10);
    private static readonly DateTimeOffset s_onTick = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Of_SameKey_SameStepWithinTheInterval()
    {
        var interval = TimeSpan.FromSeconds(1);

        var first = ProbePhase.Of("shop-web-k3x9q", interval, s_step);
        var again = ProbePhase.Of("shop-web-k3x9q", interval, s_step);

        Assert.Equal(first, again);
        Assert.InRange(first, TimeSpan.Zero, interval - s_step);
        Assert.Equal(0, first.Ticks % s_step.Ticks);
    }

    [Fact]
    public void Of_TwoHundredServersOnOneInterval_SpreadOverEveryStep()
    {
        var interval = TimeSpan.FromMilliseconds(200);
        var random = new Random(16);
        var names = Enumerable.Range(0, 200).Select(_ => "bench-web-" + new string([.. Enumerable.Range(0, 5).Select(_ => (char)('a' + random.Next(26)))])).ToList();

        var perStep = names.GroupBy(n => ProbePhase.Of(n, interval, s_step)).Select(g => g.Count()).ToList();

        // 20 steps of 10 ms for 200 servers: about 10 a step, never the 200 at once that one tick gave.
        Assert.Equal(20, perStep.Count);
        Assert.True(perStep.Max() <= 20, $"one step holds {perStep.Max()} of the 200 probes");
    }

    [Theory]
    [InlineData(300, 730, 1570)]
    [InlineData(300, 100, 200)]
    [InlineData(300, 300, 2000)]
    [InlineData(0, 1999, 1)]
    public void Until_WaitsForTheNextInstantAtThePhasePastATick(int phaseMs, int msPastTick, int expectedMs)
    {
        var delay = ProbePhase.Until(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(phaseMs), s_onTick.AddMilliseconds(msPastTick));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), delay);
    }
}
