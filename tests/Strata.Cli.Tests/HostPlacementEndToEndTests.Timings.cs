using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>The operator's host timings: <c>strata server start --host-timeout … --host-lost-after …</c>.</summary>
public sealed partial class HostPlacementEndToEndTests
{
    [Fact]
    public async Task ServerStart_HostTimingsOutOfOrderOrNotADuration_RefusedWithTheReasonAndNothingStarts()
    {
        await using var strata = new StrataRunner();

        var outOfOrder = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen, "--host-timeout", "30s", "--host-lost-after", "20s");
        var tooShort = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen, "--host-timeout", "1s");
        var zero = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen, "--host-lost-after", "0s");
        var status = await strata.RunAsync(s_timeout, "server", "status");

        Assert.Equal(2, outOfOrder.ExitCode);
        Assert.Contains("strata: invalid host timings: hostLostAfter (20s) must be longer than hostTimeout (30s): a host is unreachable before it is lost", outOfOrder.Error);
        Assert.Equal(2, tooShort.ExitCode);
        Assert.Contains("strata: invalid host timings: hostTimeout (1s) must be longer than heartbeatInterval (1s)", tooShort.Error);
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("'0s' is not a duration for --host-lost-after", zero.Error);
        Assert.Equal(3, status.ExitCode);
        Assert.False(File.Exists(strata.Home.Combine("host-timings")));
    }

    [Fact]
    public async Task ServerStart_ShortHostTimings_APoweredOffHostIsLostWithinThemAndTheyAreKeptForTheNextStart()
    {
        await using var fleet = await HostFleetScenario.StartAsync(1, ["--host-timeout", "2s", "--host-lost-after", "4s"]);

        fleet.Hosts[0].PowerOff();
        // The default (30 s) would not be reached within this deadline: only the operator's 4 s can make it lost.
        await Eventually.WaitAsync(async () => (await fleet.HostsAsync())["h1"].State == "lost", "the powered-off host to be lost", TimeSpan.FromSeconds(20));

        Assert.Equal("hostTimeout 2s\nhostLostAfter 4s\n", await File.ReadAllTextAsync(fleet.Strata.Home.Combine("host-timings")));
    }
}
