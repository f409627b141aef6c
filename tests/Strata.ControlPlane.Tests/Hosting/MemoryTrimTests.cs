using Strata.ControlPlane.Hosting;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Hosting;

[Trait("kind", "unit")]
public sealed class MemoryTrimTests
{
    [Theory]
    [InlineData(0, 0, false)]
    [InlineData((4L << 20) - 1, 0, false)]
    [InlineData(4L << 20, 0, true)]
    [InlineData(0, 4L << 20, true)]
    [InlineData(2L << 20, 2L << 20, true)]
    [InlineData(2L << 20, -(20L << 20), false)]
    public void IsWorthIt_LargeObjectHeap_WhenFreeAndGrownComeToFourMiB(long free, long grown, bool worthIt) =>
        Assert.Equal(worthIt, MemoryTrim.IsWorthIt(free, grown));

    [Theory]
    [InlineData(6L << 20, 0, 6L << 20, false)]
    [InlineData(10L << 20, 0, 6L << 20, true)]
    [InlineData(6L << 20, 4L << 20, 6L << 20, true)]
    public void IsWorthIt_FreeSpaceTheLastTrimLeft_NotCountedAgain(long free, long grown, long left, bool worthIt) =>
        Assert.Equal(worthIt, MemoryTrim.IsWorthIt(free, grown, left));

    [Fact]
    public async Task RunAsync_Cancelled_EndsWithoutAnException()
    {
        var time = new ManualTimeProvider();
        using var stop = new CancellationTokenSource();

        var running = MemoryTrim.RunAsync(TimeSpan.FromMinutes(1), time, stop.Token);
        time.Advance(TimeSpan.FromMinutes(3));
        await stop.CancelAsync();

        // Whether this test process's heap was worth compacting is its own affair; the loop looked and stopped cleanly.
        Assert.InRange(await running.WaitAsync(TimeSpan.FromSeconds(10)), 0, 3);
    }
}
