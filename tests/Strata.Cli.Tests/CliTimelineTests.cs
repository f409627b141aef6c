using Strata.Testing;

namespace Strata.Cli.Tests;

[Trait("kind", "unit")]
public sealed class CliTimelineTests
{
    private static readonly DateTimeOffset s_start = new(2026, 12, 5, 6, 43, 20, 115, TimeSpan.Zero);

    [Fact]
    public void Mark_On_WritesMillisecondsSinceProcessStartAndWallClock()
    {
        var time = new ManualTimeProvider(s_start);
        var error = new StringWriter();
        var timeline = new CliTimeline(error, time, s_start - TimeSpan.FromMilliseconds(40));

        time.Advance(TimeSpan.FromMilliseconds(143));
        timeline.Mark("applied (serial 4)");

        Assert.Equal("strata: timing +183 ms 2026-12-05T06:43:20.258Z applied (serial 4)" + Environment.NewLine, error.ToString());
    }

    [Fact]
    public async Task RunAsync_TimelineOn_MarksParsingAndTheExit()
    {
        using var home = new TemporaryDirectory("strata-timeline");
        var error = new StringWriter();
        var context = new CliContext(new Strata.ControlPlane.Hosting.StrataPaths(home.Path), new StringWriter(), error)
        {
            Timeline = new CliTimeline(error, TimeProvider.System, DateTimeOffset.UtcNow),
        };

        var exit = await StrataCli.RunAsync(["validate", Path.Combine(home.Path, "missing.yaml")], context).WithTimeout();

        var marks = error.ToString().Split(Environment.NewLine).Where(l => l.StartsWith("strata: timing +", StringComparison.Ordinal)).Select(l => l.Split(' ', 6)[5]).ToList();
        Assert.Equal(["command line parsed", $"done (exit {exit})"], marks);
    }
}
