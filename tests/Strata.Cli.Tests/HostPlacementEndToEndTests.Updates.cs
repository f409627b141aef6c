using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>Updates of tiers whose servers fill every host they may use: no host can take a new server beside an old one.</summary>
public sealed partial class HostPlacementEndToEndTests
{
    [Fact]
    public async Task Up_NewLaunchSettingsWhileEveryHostHoldsTheTiersPort_ReplacedInPlaceOneAtATimeWithoutFailedRequests()
    {
        await using var fleet = await HostFleetScenario.StartAsync(2);
        var strata = fleet.Strata;
        var spec = fleet.HelloSpec(new Dictionary<string, string> { ["servers: 3"] = "servers: 2" });
        var first = await strata.UpAsync(spec, "hello");
        Assert.True(first.ExitCode == 0, first.ToString());
        var old = HostFleetScenario.InService(await strata.StatusAsync("hello")).Select(s => s.Name).ToList();

        // New launch settings: every server is replaced, and each host already has one of the tier's on port 8000.
        await File.WriteAllTextAsync(spec, (await File.ReadAllTextAsync(spec)).Replace("run: python3 server.py", "run: python3 -u server.py", StringComparison.Ordinal));
        CliResult update;
        LoadReport report;
        await using (var load = LoadGenerator.Start($"{fleet.Front.Url}/", LoadGenerator.LongestRun, connections: 4, threads: 1))
        {
            update = await strata.UpAsync(spec, "hello");
            await Eventually.WaitAsync(async () => HostFleetScenario.Serving(await strata.StatusAsync("hello")) is { Count: 2 } s && s.All(x => !old.Contains(x.Name)),
                "both servers replaced and in the load balancer", TimeSpan.FromMinutes(2));
            Assert.False(load.HasExited, "the load must span the whole update");
            report = await load.StopAsync();
        }

        var events = (await strata.RunAsync(s_timeout, "events", "hello", "--json")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var servers = HostFleetScenario.Serving(await strata.StatusAsync("hello"));

        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal(fleet.Hosts.Select(h => h.Address).Order(), servers.Select(s => s.Address).Order());
        Assert.True(report.Requests > 0 && report.Failed == 0, report.ToString());
        var inPlace = Assert.Single(events, e => Kind(e) == "tier.update-in-place");
        Assert.Equal(
            "tier web: the hosts it may use have room for its 2 servers but not for 1 more beside them "
            + "(no capacity: tier 'web' needs port 8000 on each of its 3 new servers, and servers on one host share its address: the hosts it may use (h1, h2) take 2 of them; add hosts, or run fewer servers); "
            + "its servers are replaced in place (an update, or a rotation past maxAge): each old server leaves the load balancer and stops before its replacement starts, so the tier runs one server short meanwhile",
            inPlace.GetProperty("message").GetString());
        Assert.DoesNotContain(events, e => Kind(e) == "tier.no-capacity");
    }

    private static string? Kind(JsonElement @event) => @event.GetProperty("kind").GetString();
}
