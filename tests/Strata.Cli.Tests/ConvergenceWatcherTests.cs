using Strata.Cli.Commands;

namespace Strata.Cli.Tests;

[Trait("kind", "unit")]
public sealed class ConvergenceWatcherTests
{
    [Theory]
    [InlineData(0, 40)]
    [InlineData(10, 40)]
    [InlineData(80, 40)]
    [InlineData(200, 100)]
    [InlineData(1000, 500)]
    [InlineData(5000, 1000)]
    public void MinLook_GrowsWithTheServersALookLists_From40MsToASecond(int servers, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ConvergenceWatcher.MinLook(servers));
    }
}
