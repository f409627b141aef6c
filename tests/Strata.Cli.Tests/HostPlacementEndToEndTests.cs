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
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);
    private static readonly string[] s_zones = ["a", "b", "c"];

    [Fact]
    public async Task Up_HelloWithSixServersOnSixHostsInThreeZones_TwoPerZoneOnePerHostServingThroughTheLoadBalancer()
    {
        using var block = LoopbackBlocks.Acquire();
        var hosts = await StartHostsAsync(block, 6);
        try
        {
            await using var strata = new StrataRunner();
            var started = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen);
            Assert.True(started.ExitCode == 0, started.ToString());
            await AddHostsAsync(strata, hosts);
            var front = LoopbackPorts.Reserve();
            var spec = strata.CopyExample("hello", new Dictionary<string, string>
            {
                ["127.0.0.1:8080"] = $"{front}", ["front:8080"] = $"front:{front.Port}", ["servers: 3"] = "servers: 6",
            });

            var plan = await strata.RunAsync(s_timeout, "plan", spec);
            var up = await strata.UpAsync(spec, "hello");
            Assert.True(up.ExitCode == 0, up.ToString());
            var servers = (await strata.StatusAsync("hello")).GetProperty("servers").EnumerateArray()
                .Select(s => (Name: s.GetProperty("name").GetString()!, Zone: s.GetProperty("zone").GetString()!, Address: s.GetProperty("address").GetString()!)).ToList();
            var answered = await HelloEndToEndTests.AnswersAsync($"{front.Url}/", 36);

            Assert.True(plan.ExitCode == 0, plan.ToString());
            Assert.True(HostWord().Matches(plan.Out).Select(m => m.Groups[1].Value).Order().SequenceEqual(["h1", "h2", "h3", "h4", "h5", "h6"]), plan.Out);
            Assert.Equal(6, servers.Count);
            Assert.Equal([("a", 2), ("b", 2), ("c", 2)], servers.GroupBy(s => s.Zone).Select(g => (g.Key, g.Count())).Order());
            Assert.Equal(hosts.Select(h => h.Address).Order(), servers.Select(s => s.Address).Order());
            Assert.All(servers, s => Assert.Equal(ZoneOf(hosts, s.Address), s.Zone));
            Assert.Equal(servers.Select(s => $"hello from {s.Name}").Order(), answered.Distinct().Order());
        }
        finally
        {
            hosts.ForEach(h => h.Dispose());
        }
    }

    [Fact]
    public async Task Up_MoreServersThanHostsWithTheirPortFree_NoCapacityReportedAndNoneLaunched()
    {
        using var block = LoopbackBlocks.Acquire();
        var hosts = await StartHostsAsync(block, 3);
        try
        {
            await using var strata = new StrataRunner();
            var started = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen);
            Assert.True(started.ExitCode == 0, started.ToString());
            await AddHostsAsync(strata, hosts);
            var front = LoopbackPorts.Reserve();
            var spec = strata.CopyExample("hello", new Dictionary<string, string>
            {
                ["127.0.0.1:8080"] = $"{front}", ["front:8080"] = $"front:{front.Port}", ["servers: 3"] = "servers: 4",
            });

            var up = await strata.UpAsync(spec, "hello", "--no-wait");
            Assert.True(up.ExitCode == 0, up.ToString());
            string? message = null;
            await Eventually.WaitAsync(async () => (message = TierMessage(await strata.StatusAsync("hello"), "web")) is not null, "the tier reports why it does not launch");
            var events = await strata.RunAsync(s_timeout, "events", "hello", "--json");
            var status = await strata.StatusAsync("hello");

            Assert.True(message == "no capacity: every host tier 'web' may use (h1, h2, h3) has a server on port 8000 already (3 of the 4 new servers would fit)",
                $"{message}\n{status}\n{events.Out}");
            Assert.Single(events.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => JsonDocument.Parse(line).RootElement.GetProperty("kind").GetString() == "tier.no-capacity");
            Assert.All(status.GetProperty("servers").EnumerateArray(), s => Assert.True(
                s.GetProperty("state").GetString() == "pending" && s.GetProperty("address").ValueKind == JsonValueKind.Null, s.ToString()));
        }
        finally
        {
            hosts.ForEach(h => h.Dispose());
        }
    }

    [Fact]
    public async Task ServerKilled_ReplacedOnItsOwnHostWhosePortItNoLongerHolds()
    {
        using var block = LoopbackBlocks.Acquire();
        var hosts = await StartHostsAsync(block, 3);
        try
        {
            await using var strata = new StrataRunner();
            var started = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen);
            Assert.True(started.ExitCode == 0, started.ToString());
            await AddHostsAsync(strata, hosts);
            var front = LoopbackPorts.Reserve();
            var spec = strata.CopyExample("hello", new Dictionary<string, string> { ["127.0.0.1:8080"] = $"{front}", ["front:8080"] = $"front:{front.Port}" });
            var up = await strata.UpAsync(spec, "hello");
            Assert.True(up.ExitCode == 0, up.ToString());
            var victim = InService(await strata.StatusAsync("hello"))[0];

            // The app crashes (its Python process, below the shell that runs it, is killed). Every host runs a server on
            // port 8000: the replacement fits only where the dead one ran.
            using (var kill = System.Diagnostics.Process.Start("pkill", ["-9", "-f", $"server.py --bind {victim.Address}:8000"]))
            {
                await kill.WaitForExitAsync();
                Assert.Equal(0, kill.ExitCode);
            }

            await Eventually.WaitAsync(async () => InService(await strata.StatusAsync("hello")) is { Count: 3 } s && s.All(x => x.Name != victim.Name),
                "the killed server to be replaced", TimeSpan.FromMinutes(1));
            var servers = InService(await strata.StatusAsync("hello"));
            var answered = await HelloEndToEndTests.AnswersAsync($"{front.Url}/", 18);
            var events = await strata.RunAsync(s_timeout, "events", "hello");

            Assert.Equal(hosts.Select(h => h.Address).Order(), servers.Select(s => s.Address).Order());
            Assert.Equal(servers.Select(s => $"hello from {s.Name}").Order(), answered.Distinct().Order());
            Assert.DoesNotContain("no capacity", events.Out, StringComparison.Ordinal);
        }
        finally
        {
            hosts.ForEach(h => h.Dispose());
        }
    }

    [Fact]
    public async Task HostPowersOff_ItsServerIsReplacedOnAnotherHostAndTheHostIsListedLost()
    {
        using var block = LoopbackBlocks.Acquire();
        var hosts = await StartHostsAsync(block, 4);
        try
        {
            await using var strata = new StrataRunner();
            var started = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen);
            Assert.True(started.ExitCode == 0, started.ToString());
            await AddHostsAsync(strata, hosts);
            var front = LoopbackPorts.Reserve();
            // Without a health check nothing but the host's loss can tell that its server is gone.
            var spec = strata.CopyExample("hello", new Dictionary<string, string>
            {
                ["127.0.0.1:8080"] = $"{front}", ["front:8080"] = $"front:{front.Port}",
                ["    health:\n      http: /healthz\n      interval: 1s\n      timeout: 500ms\n      healthyAfter: 2\n      unhealthyAfter: 3\n"] = "",
            });
            Assert.DoesNotContain("health:", await File.ReadAllTextAsync(spec));
            var up = await strata.UpAsync(spec, "hello");
            Assert.True(up.ExitCode == 0, up.ToString());
            var before = ServersPerHost(await strata.RunAsync(s_timeout, "hosts", "--json"));

            hosts[1].PowerOff();
            await Eventually.WaitAsync(async () => InService(await strata.StatusAsync("hello")).Select(s => s.Address).Order().SequenceEqual([hosts[0].Address, hosts[2].Address, hosts[3].Address]),
                "the server of the powered-off host to be replaced on the spare host", TimeSpan.FromMinutes(2));
            var servers = InService(await strata.StatusAsync("hello"));
            var answered = await HelloEndToEndTests.AnswersAsync($"{front.Url}/", 18);
            await Eventually.WaitAsync(async () => ServersPerHost(await strata.RunAsync(s_timeout, "hosts", "--json"))["h2"].State == "lost", "the host to be lost", TimeSpan.FromMinutes(1));
            var after = ServersPerHost(await strata.RunAsync(s_timeout, "hosts", "--json"));

            Assert.Equal([("h1", 1), ("h2", 1), ("h3", 1), ("h4", 0)], before.Select(h => (h.Key, h.Value.Servers)).Order());
            Assert.Equal(servers.Select(s => $"hello from {s.Name}").Order(), answered.Distinct().Order());
            Assert.Equal(("a", "lost"), (servers.Single(s => s.Address == hosts[3].Address).Zone, after["h2"].State));
            Assert.Equal(1, after["h4"].Servers);
        }
        finally
        {
            hosts.ForEach(h => h.Dispose());
        }
    }

    [Fact]
    public async Task HostAgentFreezes_ItsServerLeavesTheLoadBalancerOnceUnreachableAndReturnsWhenHeardFromAgain()
    {
        using var block = LoopbackBlocks.Acquire();
        var hosts = await StartHostsAsync(block, 3);
        try
        {
            await using var strata = new StrataRunner();
            var started = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen);
            Assert.True(started.ExitCode == 0, started.ToString());
            await AddHostsAsync(strata, hosts);
            var front = LoopbackPorts.Reserve();
            var spec = strata.CopyExample("hello", new Dictionary<string, string> { ["127.0.0.1:8080"] = $"{front}", ["front:8080"] = $"front:{front.Port}" });
            var up = await strata.UpAsync(spec, "hello");
            Assert.True(up.ExitCode == 0, up.ToString());
            var victim = InService(await strata.StatusAsync("hello")).Single(s => s.Address == hosts[1].Address).Name;
            var agent = AgentProcessOf(strata, "h2");

            // The agent stops (its host frozen, or cut off with its connection still open): its server keeps running
            // and passes its health check, so only the host's silence can take it out of rotation.
            Assert.True(Strata.Common.Processes.ProcessSignals.Send(agent, 19));
            try
            {
                await Eventually.WaitAsync(async () => ServersPerHost(await strata.RunAsync(s_timeout, "hosts", "--json"))["h2"].State == "unreachable", "h2 to be unreachable", TimeSpan.FromMinutes(1));
                await Eventually.WaitAsync(async () => !Members(await strata.StatusAsync("hello")).Contains(victim), "the server of h2 to leave the load balancer", TimeSpan.FromSeconds(15));
                var whileSilent = ServersPerHost(await strata.RunAsync(s_timeout, "hosts", "--json"))["h2"].State;
                var answered = await HelloEndToEndTests.AnswersAsync($"{front.Url}/", 12);
                var events = await strata.RunAsync(s_timeout, "events", "hello");

                Assert.Equal("unreachable", whileSilent);
                Assert.DoesNotContain($"hello from {victim}", answered);
                Assert.Contains($"{victim} is on host h2, which is unreachable", events.Out, StringComparison.Ordinal);
            }
            finally
            {
                Strata.Common.Processes.ProcessSignals.Send(agent, 18);
            }

            await Eventually.WaitAsync(async () => Members(await strata.StatusAsync("hello")).Contains(victim), "the server of h2 to be back in the load balancer", TimeSpan.FromSeconds(30));
            var back = InService(await strata.StatusAsync("hello"));
            Assert.Contains(back, s => s.Name == victim);
        }
        finally
        {
            hosts.ForEach(h => h.Dispose());
        }
    }

    private static List<string> Members(JsonElement status) =>
        [.. status.GetProperty("loadBalancers").EnumerateArray().Single().GetProperty("members").EnumerateArray().Select(m => m.GetString()!)];

    /// <summary>The process id of the agent of a host added by <see cref="AddHostsAsync"/>, found by its folder.</summary>
    private static int AgentProcessOf(StrataRunner strata, string host)
    {
        var folder = strata.Home.Combine("agents", host);
        var found = Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(p => int.TryParse(p, out _))
            .Where(p => File.Exists($"/proc/{p}/cmdline") && ReadCommandLine(p!).Contains($"Strata.Agent.dll --folder {folder} ", StringComparison.Ordinal))
            .Select(p => int.Parse(p!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return Assert.Single(found);
    }

    private static string ReadCommandLine(string pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static List<(string Name, string Zone, string Address)> InService(JsonElement status) =>
        [.. status.GetProperty("servers").EnumerateArray().Where(s => s.GetProperty("state").GetString() == "inService")
            .Select(s => (s.GetProperty("name").GetString()!, s.GetProperty("zone").GetString()!, s.GetProperty("address").GetString()!))];

    private static Dictionary<string, (string State, int Servers)> ServersPerHost(CliResult hosts)
    {
        Assert.True(hosts.ExitCode == 0, hosts.ToString());
        return JsonDocument.Parse(hosts.Out).RootElement.EnumerateArray().ToDictionary(
            h => h.GetProperty("name").GetString()!, h => (h.GetProperty("state").GetString()!, h.GetProperty("servers").GetInt32()));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\(host (h\d), zone [abc]\)")]
    private static partial System.Text.RegularExpressions.Regex HostWord();

    private static async Task<List<SshdHost>> StartHostsAsync(LoopbackBlock block, int count)
    {
        var hosts = new List<SshdHost>();
        for (var i = 1; i <= count; i++)
        {
            hosts.Add(await SshdHost.StartAsync(block, i));
        }

        return hosts;
    }

    /// <summary>Adds host h1…hN; host i is in zone a, b, c, a, … in turn.</summary>
    private static async Task AddHostsAsync(StrataRunner strata, List<SshdHost> hosts)
    {
        for (var i = 0; i < hosts.Count; i++)
        {
            var name = $"h{i + 1}";
            var added = await strata.RunAsync(s_timeout,
                "host", "add", name, "--ssh", hosts[i].SshTarget, "--identity", hosts[i].IdentityFile, "--zone", s_zones[i % 3],
                "--agent-dir", strata.Home.Combine("agents", name), "--agent-runtime", SshdHost.Dotnet, "--accept-new-host-key");
            Assert.True(added.ExitCode == 0, added.ToString());
        }
    }

    private static string ZoneOf(List<SshdHost> hosts, string address) => s_zones[hosts.FindIndex(h => h.Address == address) % 3];

    private static string? TierMessage(JsonElement status, string tier) =>
        status.GetProperty("tiers").EnumerateArray().First(t => t.GetProperty("name").GetString() == tier)
            .TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null;
}
