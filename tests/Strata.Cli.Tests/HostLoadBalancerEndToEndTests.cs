using System.Text.Json;
using Strata.Testing;
using static Strata.Cli.Tests.HostFleetScenario;

namespace Strata.Cli.Tests;

/// <summary>
/// Load balancers placed on hosts (<c>loadBalancers.front.placement</c>), with real sshd hosts: the host's agent runs
/// the built-in proxy at the host's address, the control plane sets its members through the agent, and the load
/// balancer moves when its host is lost; a host that comes back stops the one it ran.
/// </summary>
[Trait("kind", "e2e")]
public sealed class HostLoadBalancerEndToEndTests
{
    [Fact]
    public async Task Up_LoadBalancerPlacedInZoneB_RunsOnItsHostAtTheHostsAddressServingEveryServerAndDownStopsIt()
    {
        await using var fleet = await HostFleetScenario.StartAsync(3);
        var strata = fleet.Strata;
        var spec = PlacedSpec(fleet, "[b]");

        var plan = await strata.RunAsync(HostFleetScenario.Timeout, "plan", spec);
        var up = await strata.UpAsync(spec, "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        var front = FrontOf(await strata.StatusAsync("hello"));
        var url = $"http://{fleet.Hosts[1].Address}:{fleet.Front.Port}";
        var answered = await HelloEndToEndTests.AnswersAsync($"{url}/", 18);
        var proxies = ProxiesOf(fleet.AgentDir("h2"));
        var events = await strata.RunAsync(HostFleetScenario.Timeout, "events", "hello");

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("url       = (known after apply)", plan.Out, StringComparison.Ordinal);
        Assert.Contains("host      = h2 (zone b)", plan.Out, StringComparison.Ordinal);
        Assert.Equal(("h2", url, "running"), (front.GetProperty("host").GetString(), front.GetProperty("url").GetString(), front.GetProperty("state").GetString()));
        Assert.Equal(InService(await strata.StatusAsync("hello")).Select(s => $"hello from {s.Name}").Order(), answered.Distinct().Order());
        Assert.Single(proxies);
        Assert.Contains($"load balancer front placed on host h2 (zone b): it listens at {fleet.Hosts[1].Address}:{fleet.Front.Port}", events.Out, StringComparison.Ordinal);
        Assert.Equal(url, (await strata.StatusAsync("hello")).GetProperty("outputs").GetProperty("url").GetString());

        var down = await strata.RunAsync(HostFleetScenario.Timeout, "down", "hello", "--yes");
        Assert.True(down.ExitCode == 0, down.ToString());
        await Eventually.WaitAsync(() => Task.FromResult(ProxiesOf(fleet.AgentDir("h2")).Count == 0), "the proxy on h2 to stop");
        Assert.False(Directory.Exists(Path.Combine(fleet.AgentDir("h2"), "lb", "builtin")) && Directory.EnumerateDirectories(Path.Combine(fleet.AgentDir("h2"), "lb", "builtin")).Any());
    }

    [Fact]
    public async Task HostOfTheLoadBalancerCutOff_ItMovesToTheOtherHostOfItsZoneAndTheOldOneIsStoppedWhenTheHostIsBack()
    {
        await using var fleet = await HostFleetScenario.StartAsync(4, ["--host-timeout", "2s", "--host-lost-after", "6s"]);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(PlacedSpec(fleet, "[a]"), "hello");
        Assert.True(up.ExitCode == 0, up.ToString());

        // Zone a has h1 and h4: it moves from the one it was placed on to the other.
        var placedOn = FrontOf(await strata.StatusAsync("hello")).GetProperty("host").GetString();
        var (from, to) = placedOn == "h1" ? (0, 3) : (3, 0);
        Assert.True(placedOn is "h1" or "h4", placedOn);
        var old = Assert.Single(ProxiesOf(fleet.AgentDir($"h{from + 1}")));
        fleet.Hosts[from].CutOff();
        var moved = $"http://{fleet.Hosts[to].Address}:{fleet.Front.Port}";
        await Eventually.WaitAsync(async () => FrontOf(await strata.StatusAsync("hello")) is var f && f.GetProperty("url").GetString() == moved && f.GetProperty("state").GetString() == "running"
            && Members(await strata.StatusAsync("hello")).Count == 3,
            "the load balancer to move to h1 and send to every server", TimeSpan.FromMinutes(1));
        var answered = await HelloEndToEndTests.AnswersAsync($"{moved}/", 9);

        await fleet.Hosts[from].PowerOnAsync();
        await Eventually.WaitAsync(async () => (await fleet.HostsAsync())[$"h{from + 1}"].State == "ready", "the host cut off to be back", TimeSpan.FromMinutes(1));
        await Eventually.WaitAsync(() => Task.FromResult(Strata.Common.Processes.ProcessStat.Read(old) is not { IsAlive: true }), "the old proxy to be stopped");
        var events = await strata.RunAsync(HostFleetScenario.Timeout, "events", "hello");

        Assert.Equal(3, answered.Distinct().Count());
        Assert.Contains($"load balancer front moved from host h{from + 1} to host h{to + 1} (zone a) because host h{from + 1} is lost", events.Out, StringComparison.Ordinal);
        Assert.Contains($"host h{from + 1} is back: its agent stopped load balancer front there, which runs on h{to + 1} since", events.Out, StringComparison.Ordinal);
        Assert.Equal(moved, FrontOf(await strata.StatusAsync("hello")).GetProperty("url").GetString());
    }

    [Fact]
    public async Task Up_LoadBalancerPlacedInAZoneWithoutHosts_SaysWhyItIsDownAndServersStillStart()
    {
        await using var fleet = await HostFleetScenario.StartAsync(3);
        var strata = fleet.Strata;

        var up = await strata.UpAsync(PlacedSpec(fleet, "[z]"), "hello", "--no-wait");
        Assert.True(up.ExitCode == 0, up.ToString());
        JsonElement front = default;
        await Eventually.WaitAsync(async () => (front = FrontOf(await strata.StatusAsync("hello"))).GetProperty("state").GetString() == "down"
            && InService(await strata.StatusAsync("hello")).Count == 3, "the servers in service and the load balancer down");

        Assert.Equal("no capacity: none of the 3 ready hosts matches the placement of load balancer 'front' (zones z)", front.GetProperty("message").GetString());
    }

    [Fact]
    public async Task DrainOfTheLoadBalancersHost_ItMovesAndTheHostCanBeRemovedOnlyThen()
    {
        await using var fleet = await HostFleetScenario.StartAsync(4);
        var strata = fleet.Strata;
        var spec = fleet.HelloSpec(new Dictionary<string, string>
        {
            ["servers: 3"] = "servers: 2",
            [$"listen: {fleet.Front}"] = $"listen: {fleet.Front.Port}\n    placement: {{}}",
        });
        var up = await strata.UpAsync(spec, "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        var host = FrontOf(await strata.StatusAsync("hello")).GetProperty("host").GetString()!;

        var refused = await strata.RunAsync(HostFleetScenario.Timeout, "host", "remove", host);
        var drain = await strata.RunAsync(TimeSpan.FromMinutes(2), "host", "drain", host);
        JsonElement front = default;

        // The drain ends once the load balancer has left the host; it starts on the other one just after.
        await Eventually.WaitAsync(async () => (front = FrontOf(await strata.StatusAsync("hello"))).GetProperty("state").GetString() == "running"
            && front.GetProperty("url").GetString() is not null && Members(await strata.StatusAsync("hello")).Count == 2, "the load balancer to serve from another host");
        var answered = await HelloEndToEndTests.AnswersAsync($"{front.GetProperty("url").GetString()}/", 6);
        var removed = await strata.RunAsync(HostFleetScenario.Timeout, "host", "remove", host);
        var events = await strata.RunAsync(HostFleetScenario.Timeout, "events", "hello");

        Assert.Equal(6, refused.ExitCode);
        Assert.Contains($"host {host} runs 1 load balancer: front (deployment hello). `strata host drain {host}` moves them to other hosts first", refused.Error, StringComparison.Ordinal);
        Assert.True(drain.ExitCode == 0, drain.ToString());
        Assert.Contains($"load balancer front moved from host {host} to host {front.GetProperty("host").GetString()}", events.Out, StringComparison.Ordinal);
        Assert.Contains($"because host {host} is draining", events.Out, StringComparison.Ordinal);
        Assert.NotEqual(host, front.GetProperty("host").GetString());
        Assert.Equal(2, answered.Distinct().Count());
        Assert.True(removed.ExitCode == 0, removed.ToString());
    }

    /// <summary>hello with its load balancer listening on <see cref="HostFleetScenario.Front"/>'s port of a host in <paramref name="zones"/>.</summary>
    private static string PlacedSpec(HostFleetScenario fleet, string zones) =>
        fleet.HelloSpec(new Dictionary<string, string> { [$"listen: {fleet.Front}"] = $"listen: {fleet.Front.Port}\n    placement: {{ zones: {zones} }}" });

    private static JsonElement FrontOf(JsonElement status) =>
        status.GetProperty("loadBalancers").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "front");

    /// <summary>The built-in proxies the agent of a host started (<c>Strata.Agent.dll proxy</c> from its folder).</summary>
    private static List<int> ProxiesOf(string agentDir) =>
        [.. Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && HostProcesses.CommandLine(pid).Contains($"{agentDir}/bin/Strata.Agent.dll proxy ", StringComparison.Ordinal))];
}
