using System.Text.Json;
using Strata.Testing;
using Xunit.Abstractions;

namespace Strata.Cli.Tests;

/// <summary>
/// Taking hosts out of service with real sshd hosts: <c>strata host drain</c> moves a host's servers elsewhere through
/// the rolling-update path with requests flowing, says which it cannot move and why, is kept across a control-plane
/// restart and undone by <c>host resume</c>; <c>host remove</c> refuses while servers run there unless forced.
/// </summary>
[Trait("kind", "e2e")]
public sealed class HostDrainEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = HostFleetScenario.Timeout;

    [Fact]
    public async Task Drain_UnderLoad_ServerMovesToTheSpareHostWithNoFailedRequestsThenResumeAndForcedRemove()
    {
        await using var fleet = await HostFleetScenario.StartAsync(4);
        var (strata, hosts) = (fleet.Strata, fleet.Hosts);
        var up = await strata.UpAsync(fleet.HelloSpec(), "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        var moved = HostFleetScenario.InService(await strata.StatusAsync("hello")).Single(s => s.Address == hosts[1].Address).Name;

        CliResult drain;
        LoadReport report;
        await using (var load = LoadGenerator.Start($"{fleet.Front.Url}/", LoadGenerator.LongestRun, connections: 4, threads: 1))
        {
            drain = await strata.RunAsync(s_timeout * 3, "host", "drain", "h2", "--json");
            Assert.False(load.HasExited, "the load must span the whole drain");
            report = await load.StopAsync();
        }

        output.WriteLine(drain.ToString());
        output.WriteLine(report.ToString());
        var drained = await fleet.HostsAsync();
        var servers = HostFleetScenario.InService(await strata.StatusAsync("hello"));
        var events = await strata.RunAsync(s_timeout, "events", "hello");
        output.WriteLine(events.Out);

        Assert.True(drain.ExitCode == 0, drain.ToString());
        Assert.Contains($"Draining host 'h2': moving 1 server to other hosts: {moved} (hello/web).", drain.Error, StringComparison.Ordinal);
        Assert.Contains($"{moved} (hello/web) left h2: its replacement serves elsewhere; 0 servers to go", drain.Error, StringComparison.Ordinal);
        Assert.Equal(("draining", 0), drained["h2"]);
        Assert.Equal(1, drained["h4"].Servers);
        Assert.Equal([hosts[0].Address, hosts[2].Address, hosts[3].Address], servers.Select(s => s.Address).Order());
        Assert.Equal("draining", JsonDocument.Parse(drain.Out).RootElement.GetProperty("state").GetString());
        Assert.True(report.Requests > 0 && report.Failed == 0, report.ToString());
        Assert.Contains($"moved elsewhere (host h2 is draining); its replacement serves", events.Out, StringComparison.Ordinal);

        var resume = await strata.RunAsync(s_timeout, "host", "resume", "h2");
        var refused = await strata.RunAsync(s_timeout, "host", "remove", "h3");
        var forced = await strata.RunAsync(s_timeout, "host", "remove", "h3", "--force");
        output.WriteLine($"{resume}\n{refused}\n{forced}");
        var onH3 = servers.Single(s => s.Address == hosts[2].Address).Name;
        await Eventually.WaitAsync(async () => HostFleetScenario.InService(await strata.StatusAsync("hello")).Select(s => s.Address).Order().SequenceEqual([hosts[0].Address, hosts[1].Address, hosts[3].Address]),
            "the server of the removed host to be replaced on h2, ready again", TimeSpan.FromMinutes(2));
        var afterRemove = await strata.RunAsync(s_timeout, "events", "hello");
        output.WriteLine(afterRemove.Out);

        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Equal(ExitCodes.Conflict, refused.ExitCode);
        Assert.Contains($"host h3 still runs 1 server: {onH3} (deployment hello, tier web). `strata host drain h3` moves them to other hosts first; `strata host remove h3 --force`", refused.Error, StringComparison.Ordinal);
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(["h1", "h2", "h4"], (await fleet.HostsAsync()).Keys.Order());
        Assert.Contains($"host h3 was removed with --force while it ran {onH3}: it is stopped there and replaced on another host", afterRemove.Out, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => HelloEndToEndTests.AnswersAsync($"http://{hosts[2].Address}:8000/", 1));
    }

    [Fact]
    public async Task Drain_NoOtherHostHasThePort_SaysWhichTierCannotMoveKeepsItServingAcrossARestartUntilResumed()
    {
        await using var fleet = await HostFleetScenario.StartAsync(3);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(fleet.HelloSpec(), "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        var stuck = HostFleetScenario.InService(await strata.StatusAsync("hello")).Single(s => s.Address == fleet.Hosts[1].Address).Name;

        var drain = await strata.RunAsync(s_timeout, "host", "drain", "h2");
        var unknown = await strata.RunAsync(s_timeout, "host", "drain", "nope");
        var beforeRestart = await strata.RunAsync(s_timeout, "events", "hello", "--json");
        var stop = await strata.RunAsync(StrataRunner.ServerStopTimeout, "server", "stop");
        var start = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen);
        output.WriteLine($"{drain}\n{unknown}\n{beforeRestart.Out}\n{stop}\n{start}");
        var afterRestart = await fleet.HostsAsync();
        try
        {
            await Eventually.WaitAsync(async () => (afterRestart = await fleet.HostsAsync()).Values.All(h => h.State is "ready" or "draining" && h.Servers == 1),
                "the hosts to be back after the restart, each with its server", TimeSpan.FromMinutes(1));
        }
        catch (TimeoutException)
        {
            output.WriteLine($"hosts after the restart: {string.Join(", ", afterRestart.Select(h => $"{h.Key} {h.Value}"))}");
            output.WriteLine((await strata.RunAsync(s_timeout, "events", "hello")).Out);
            throw;
        }

        var answered = await HelloEndToEndTests.AnswersAsync($"{fleet.Front.Url}/", 12);
        var resume = await strata.RunAsync(s_timeout, "host", "resume", "h2");
        var resumed = await fleet.HostsAsync();
        output.WriteLine(resume.ToString());

        Assert.Equal(ExitCodes.NotConverged, drain.ExitCode);
        Assert.Contains($"strata: cannot move {stuck} of tier 'web' (deployment hello) off host h2: no capacity: every host tier 'web' may use (h1, h3) has a server on port 8000 already", drain.Error, StringComparison.Ordinal);
        Assert.Contains("It keeps running there.", drain.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotFound, unknown.ExitCode);
        Assert.Contains("no host named 'nope'", unknown.Error, StringComparison.Ordinal);
        Assert.True(stop.ExitCode == 0 && start.ExitCode == 0, $"{stop}\n{start}");
        Assert.Equal(("draining", 1), afterRestart["h2"]);
        Assert.Contains($"hello from {stuck}", answered);
        var drainEvent = Assert.Single(beforeRestart.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement),
            e => e.GetProperty("kind").GetString() == "host.drain");
        Assert.StartsWith($"tier web cannot move {stuck} (host h2 is draining) elsewhere: no capacity:", drainEvent.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Equal(("ready", 1), resumed["h2"]);
    }
}
