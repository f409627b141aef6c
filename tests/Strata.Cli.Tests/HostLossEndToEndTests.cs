using System.Text.Json;
using Strata.Testing;
using static Strata.Cli.Tests.HostFleetScenario;

namespace Strata.Cli.Tests;

/// <summary>
/// Hosts that go silent, are lost and come back, with real sshd hosts: a host's servers leave the load balancer once
/// it is unreachable, are replaced elsewhere once it is lost, and are stopped (fenced) when it comes back.
/// </summary>
[Trait("kind", "e2e")]
public sealed class HostLossEndToEndTests
{
    [Fact]
    public async Task HostPowersOff_ItsServerIsReplacedOnAnotherHostAndTheHostIsListedLost()
    {
        await using var fleet = await HostFleetScenario.StartAsync(4);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(fleet.HelloSpecWithoutHealthCheck(), "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        var before = await fleet.HostsAsync();
        var hosts = fleet.Hosts;

        hosts[1].PowerOff();
        await Eventually.WaitAsync(async () => Serving(await strata.StatusAsync("hello")).Select(s => s.Address).Order().SequenceEqual([hosts[0].Address, hosts[2].Address, hosts[3].Address]),
            "the server of the powered-off host to be replaced on the spare host and in the load balancer", TimeSpan.FromMinutes(2));
        var servers = Serving(await strata.StatusAsync("hello"));
        var answered = await HelloEndToEndTests.AnswersAsync($"{fleet.Front.Url}/", 18);
        await Eventually.WaitAsync(async () => (await fleet.HostsAsync())["h2"].State == "lost", "the host to be lost", TimeSpan.FromMinutes(1));
        var after = await fleet.HostsAsync();

        Assert.Equal([("h1", 1), ("h2", 1), ("h3", 1), ("h4", 0)], before.Select(h => (h.Key, h.Value.Servers)).Order());
        Assert.Equal(servers.Select(s => $"hello from {s.Name}").Order(), answered.Distinct().Order());
        Assert.Equal(("a", "lost"), (servers.Single(s => s.Address == hosts[3].Address).Zone, after["h2"].State));
        Assert.Equal(1, after["h4"].Servers);
    }

    [Fact]
    public async Task HostAgentHangs_ItsServerLeavesTheLoadBalancerOnceUnreachableAndReturnsUnderANewAgent()
    {
        // Lost only long after it is unreachable: the new agent is not raced against the server's replacement.
        await using var fleet = await HostFleetScenario.StartAsync(3, ["--host-lost-after", "5m"]);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(fleet.HelloSpec(), "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        var victim = InService(await strata.StatusAsync("hello")).Single(s => s.Address == fleet.Hosts[1].Address).Name;
        var hung = HostProcesses.AgentOver(fleet.AgentDir("h2"));

        // The agent stops with its SSH connection open: its server keeps running and passes its health check, so only
        // the host's silence can take it out of rotation; the control plane connects again and starts a new agent,
        // which stops the hung one and adopts the server.
        Assert.True(Strata.Common.Processes.ProcessSignals.Send(hung, 19));
        try
        {
            await Eventually.WaitAsync(async () => (await strata.RunAsync(HostFleetScenario.Timeout, "events", "hello")).Out.Contains($"{victim} is on host h2, which is unreachable", StringComparison.Ordinal),
                "the server of h2 to leave the load balancer as h2 is unreachable", TimeSpan.FromMinutes(1));
            await Eventually.WaitAsync(async () => (await fleet.HostsAsync())["h2"].State == "ready" && Members(await strata.StatusAsync("hello")).Contains(victim),
                "h2 to be ready again and its server back in the load balancer", TimeSpan.FromMinutes(2));
            var answered = await HelloEndToEndTests.AnswersAsync($"{fleet.Front.Url}/", 12);

            Assert.NotEqual(hung, HostProcesses.AgentOver(fleet.AgentDir("h2")));
            Assert.DoesNotContain("Strata.Agent.dll", HostProcesses.CommandLine(hung), StringComparison.Ordinal);
            Assert.Contains($"hello from {victim}", answered);
            Assert.Equal(3, InService(await strata.StatusAsync("hello")).Count);
        }
        finally
        {
            Strata.Common.Processes.ProcessSignals.Send(hung, 18);
        }

        // The server's check runs on its host, by the new agent now: frozen, the server stops answering it and is
        // found unhealthy and replaced, though its process lives and its host is reachable.
        var frozen = HostProcesses.ServerProcesses(victim);
        Assert.NotEmpty(frozen);
        Assert.All(frozen, pid => Assert.True(Strata.Common.Processes.ProcessSignals.Send(pid, 19)));
        try
        {
            await Eventually.WaitAsync(async () => (await strata.RunAsync(HostFleetScenario.Timeout, "events", "hello")).Out.Contains($"{victim} is unhealthy: timed out after 500 ms", StringComparison.Ordinal),
                "the frozen server to be found unhealthy by its host's agent", TimeSpan.FromMinutes(1));
            await Eventually.WaitAsync(async () => Serving(await strata.StatusAsync("hello")) is { Count: 3 } serving && serving.All(s => s.Name != victim),
                "three servers serving, the frozen one replaced", TimeSpan.FromMinutes(2));
        }
        finally
        {
            frozen.ForEach(pid => Strata.Common.Processes.ProcessSignals.Send(pid, 18));
        }
    }

    [Fact]
    public async Task HostCutOffUntilLostThenBack_ItsReplacedServerIsStoppedBeforeItsAgentListsIt()
    {
        await using var fleet = await HostFleetScenario.StartAsync(4);
        var (strata, hosts) = (fleet.Strata, fleet.Hosts);
        var up = await strata.UpAsync(fleet.HelloSpecWithoutHealthCheck(), "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        var victim = InService(await strata.StatusAsync("hello")).Single(s => s.Address == hosts[1].Address).Name;

        // sshd and the agent die; the server keeps running, as on a host cut off from the network.
        hosts[1].CutOff();
        await Eventually.WaitAsync(async () => InService(await strata.StatusAsync("hello")).Select(s => s.Address).Order().SequenceEqual([hosts[0].Address, hosts[2].Address, hosts[3].Address]),
            "the server of the cut-off host to be replaced on the spare host", TimeSpan.FromMinutes(2));
        Assert.Equal("hello from " + victim, (await HelloEndToEndTests.AnswersAsync($"http://{hosts[1].Address}:8000/", 1)).Single());
        await hosts[1].PowerOnAsync();
        // The fleet tries a silent host again after a backoff that reaches 30 s (±20%) by the time it is lost, and then
        // connects and starts its agent: on a loaded machine that took more than the minute this waited before.
        await Eventually.WaitAsync(async () => (await fleet.HostsAsync())["h2"].State == "ready", "h2 to be back", TimeSpan.FromMinutes(2));
        var events = await strata.RunAsync(HostFleetScenario.Timeout, "events", "hello", "--json");
        var kinds = events.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("server", out var s) && s.GetString() == victim).Select(e => e.GetProperty("kind").GetString()).ToList();

        Assert.Contains("server.fenced", kinds);
        Assert.DoesNotContain("server.orphan", kinds);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => HelloEndToEndTests.AnswersAsync($"http://{hosts[1].Address}:8000/", 1));
        Assert.Equal(0, (await fleet.HostsAsync())["h2"].Servers);
    }

    [Fact]
    public async Task ControlPlaneRestartsWhileAHostIsCutOff_ItsServerIsNotFailedAndServesOnOnceTheHostIsBack()
    {
        await using var fleet = await HostFleetScenario.StartAsync(3, ["--host-timeout", "2s", "--host-lost-after", "5m"]);
        var (strata, hosts) = (fleet.Strata, fleet.Hosts);
        var up = await strata.UpAsync(fleet.HelloSpec(), "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        var cutOff = InService(await strata.StatusAsync("hello")).Single(s => s.Address == hosts[1].Address).Name;

        // The control plane restarts while h2 cannot be reached: it does not know where cutOff runs until h2 answers.
        hosts[1].CutOff();
        var stop = await strata.RunAsync(StrataRunner.ServerStopTimeout, "server", "stop");
        var start = await strata.RunAsync(HostFleetScenario.Timeout, "server", "start", "--listen", strata.Listen, "--host-timeout", "2s", "--host-lost-after", "5m");
        Assert.True(stop.ExitCode == 0 && start.ExitCode == 0, $"{stop}\n{start}");
        await Eventually.WaitAsync(async () => (await fleet.HostsAsync())["h2"].State == "unreachable", "h2 to be unreachable after the restart");
        // Far past the host timeout and a death's confirmation: the reconciler had every chance to fail it.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var whileCutOff = await strata.StatusAsync("hello");
        await hosts[1].PowerOnAsync();
        await Eventually.WaitAsync(async () => (await fleet.HostsAsync())["h2"] == ("ready", 1), "h2 to be back with its server", TimeSpan.FromMinutes(2));
        var events = await strata.RunAsync(HostFleetScenario.Timeout, "events", "hello", "--json");
        var kinds = events.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("server", out var s) && s.GetString() == cutOff).Select(e => e.GetProperty("kind").GetString()).ToList();

        Assert.Contains(HelloEndToEndTests.Servers(whileCutOff), s => s.Name == cutOff && s.State != "failed");
        Assert.DoesNotContain("server.failed", kinds);
        Assert.DoesNotContain("server.fenced", kinds);
        Assert.Equal("hello from " + cutOff, (await HelloEndToEndTests.AnswersAsync($"http://{hosts[1].Address}:8000/", 1)).Single());
    }
}
