using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// Servers placed on hosts: real sshd hosts on loopback addresses, added with <c>strata host add</c>, their agents
/// installed through SSH and running the servers, bound to their host's address; the load balancer on the control
/// plane's machine in front of them.
/// </summary>
[Trait("kind", "e2e")]
public sealed partial class HostPlacementEndToEndTests
{
    private static readonly TimeSpan s_timeout = HostFleetScenario.Timeout;

    [Fact]
    public async Task Up_HelloWithSixServersOnSixHostsInThreeZones_TwoPerZoneOnePerHostServingThroughTheLoadBalancer()
    {
        await using var fleet = await HostFleetScenario.StartAsync(6);
        var strata = fleet.Strata;
        var spec = fleet.HelloSpec(new Dictionary<string, string> { ["servers: 3"] = "servers: 6" });

        var plan = await strata.RunAsync(s_timeout, "plan", spec);
        var up = await strata.UpAsync(spec, "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        var servers = (await strata.StatusAsync("hello")).GetProperty("servers").EnumerateArray()
            .Select(s => (Name: s.GetProperty("name").GetString()!, Zone: s.GetProperty("zone").GetString()!, Address: s.GetProperty("address").GetString()!)).ToList();
        var answered = await HelloEndToEndTests.AnswersAsync($"{fleet.Front.Url}/", 36);
        var logs = await strata.RunAsync(s_timeout, "logs", "hello", servers[0].Name, "--tail", "100");

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains($"{servers[0].Name} listening on {servers[0].Address}:8000", logs.Out, StringComparison.Ordinal);
        Assert.True(HostWord().Matches(plan.Out).Select(m => m.Groups[1].Value).Order().SequenceEqual(["h1", "h2", "h3", "h4", "h5", "h6"]), plan.Out);
        Assert.Equal(6, servers.Count);
        Assert.Equal([("a", 2), ("b", 2), ("c", 2)], servers.GroupBy(s => s.Zone).Select(g => (g.Key, g.Count())).Order());
        Assert.Equal(fleet.Hosts.Select(h => h.Address).Order(), servers.Select(s => s.Address).Order());
        Assert.All(servers, s => Assert.Equal(fleet.ZoneOf(s.Address), s.Zone));
        Assert.Equal(servers.Select(s => $"hello from {s.Name}").Order(), answered.Distinct().Order());
    }

    [Fact]
    public async Task Up_MoreServersThanHostsWithTheirPortFree_NoCapacityReportedAndNoneLaunched()
    {
        await using var fleet = await HostFleetScenario.StartAsync(3);
        var strata = fleet.Strata;
        var spec = fleet.HelloSpec(new Dictionary<string, string> { ["servers: 3"] = "servers: 4" });

        var up = await strata.UpAsync(spec, "hello", "--no-wait");
        Assert.True(up.ExitCode == 0, up.ToString());
        string? message = null;
        await Eventually.WaitAsync(async () => (message = TierMessage(await strata.StatusAsync("hello"), "web")) is not null, "the tier reports why it does not launch");
        var events = await strata.RunAsync(s_timeout, "events", "hello", "--json");
        var status = await strata.StatusAsync("hello");
        var waited = await strata.RunAsync(s_timeout, "up", spec, "--listen", strata.Listen, "--timeout", "3s");

        Assert.True(message == "no capacity: tier 'web' needs port 8000 on each of its 4 new servers, and servers on one host share its address: the hosts it may use (h1, h2, h3) take 3 of them; add hosts, or run fewer servers",
            $"{message}\n{status}\n{events.Out}");
        Assert.Contains($"hello did not converge within 3s (tier web: {message}); `strata status hello` shows where it is", waited.Error, StringComparison.Ordinal);
        Assert.Single(events.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => JsonDocument.Parse(line).RootElement.GetProperty("kind").GetString() == "tier.no-capacity");
        Assert.All(status.GetProperty("servers").EnumerateArray(), s => Assert.True(
            s.GetProperty("state").GetString() == "pending" && s.GetProperty("address").ValueKind == JsonValueKind.Null, s.ToString()));
    }

    [Fact]
    public async Task ServerKilled_ReplacedOnItsOwnHostWhosePortItNoLongerHolds()
    {
        await using var fleet = await HostFleetScenario.StartAsync(3);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(fleet.HelloSpec(), "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        var victim = HostFleetScenario.InService(await strata.StatusAsync("hello"))[0];

        // The app crashes (its Python process, below the shell that runs it, is killed). Every host runs a server on
        // port 8000: the replacement fits only where the dead one ran.
        using (var kill = System.Diagnostics.Process.Start("pkill", ["-9", "-f", $"server.py --bind {victim.Address}:8000"]))
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        await Eventually.WaitAsync(async () => HostFleetScenario.Serving(await strata.StatusAsync("hello")) is { Count: 3 } s && s.All(x => x.Name != victim.Name),
            "the killed server to be replaced and in the load balancer", TimeSpan.FromMinutes(1));
        var servers = HostFleetScenario.Serving(await strata.StatusAsync("hello"));
        var answered = await HelloEndToEndTests.AnswersAsync($"{fleet.Front.Url}/", 18);
        var events = await strata.RunAsync(s_timeout, "events", "hello");

        Assert.Equal(fleet.Hosts.Select(h => h.Address).Order(), servers.Select(s => s.Address).Order());
        Assert.Equal(servers.Select(s => $"hello from {s.Name}").Order(), answered.Distinct().Order());
        Assert.DoesNotContain("no capacity", events.Out, StringComparison.Ordinal);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\(host (h\d), zone [abc]\)")]
    private static partial System.Text.RegularExpressions.Regex HostWord();

    private static string? TierMessage(JsonElement status, string tier) =>
        status.GetProperty("tiers").EnumerateArray().First(t => t.GetProperty("name").GetString() == tier)
            .TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null;
}
