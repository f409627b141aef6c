using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// The control plane killed (SIGKILL) at chosen points while it launches servers: each kill waits for the event that
/// marks its point, with the remaining launches held at a configure gate so they are provably still under way. After a
/// restart nothing is lost, leaked or duplicated, the tier reaches its count and the load balancer sends to exactly
/// the servers in service.
/// </summary>
[Trait("kind", "e2e")]
public sealed class CrashEndToEndTests
{
    private const string Launched = " launched at ";
    private const string InService = " is in service";

    [Fact]
    public async Task ControlPlaneKilledAfterFirstLaunchRecorded_Restart_ConvergesWithoutLossLeakOrDuplicate()
    {
        await using var deployment = new GatedHelloDeployment();
        await deployment.UpWithoutWaitingAsync();

        deployment.Admit(1);
        await deployment.WaitForEventsAsync(e => GatedHelloDeployment.Count(e, "server.state", Launched) == 1, "the first launch to be recorded");

        await KillMidLaunchAndRestartAsync(deployment, launchedBeforeKill: 1);
    }

    [Fact]
    public async Task ControlPlaneKilledBetweenLaunches_Restart_ConvergesWithoutLossLeakOrDuplicate()
    {
        await using var deployment = new GatedHelloDeployment();
        await deployment.UpWithoutWaitingAsync();

        deployment.Admit(3);
        await deployment.WaitForEventsAsync(e => GatedHelloDeployment.Count(e, "server.state", InService) == 3, "three servers in service, three still launching");

        await KillMidLaunchAndRestartAsync(deployment, launchedBeforeKill: 3);
    }

    [Fact]
    public async Task ControlPlaneKilledBeforeLoadBalancerStarted_Restart_StartsItOnceWithTheServersInService()
    {
        await using var deployment = new GatedHelloDeployment();
        deployment.HoldListenPort();
        await deployment.UpWithoutWaitingAsync();

        deployment.Admit(2);
        await deployment.WaitForEventsAsync(
            e => GatedHelloDeployment.Count(e, "loadbalancer.failed", "") > 0 && GatedHelloDeployment.Count(e, "server.state", InService) == 2,
            "the load balancer to fail to start on its taken port while two servers are in service");
        var status = await deployment.Runner.StatusAsync(GatedHelloDeployment.Name);
        Assert.NotEqual("running", status.GetProperty("loadBalancers")[0].GetProperty("state").GetString());
        Assert.Empty(ResiliencyDeployment.Members(status));

        await KillMidLaunchAndRestartAsync(deployment, launchedBeforeKill: 2);
    }

    /// <summary>
    /// Kills the control plane while the gate still holds the launches not yet admitted, then restarts it with the
    /// gate (and any held port) open and checks what a crash must never cause.
    /// </summary>
    private static async Task KillMidLaunchAndRestartAsync(GatedHelloDeployment deployment, int launchedBeforeKill)
    {
        var before = HelloEndToEndTests.Servers(await deployment.Runner.StatusAsync(GatedHelloDeployment.Name));
        await deployment.KillControlPlaneAsync();
        var launched = before.Where(s => s.Pid > 0).ToList();
        Assert.True(launched.Count == launchedBeforeKill, $"expected {launchedBeforeKill} servers launched at the kill: {string.Join(", ", before)}");
        Assert.Equal(launchedBeforeKill, deployment.TicketsTaken);
        Assert.Contains(deployment.MarkedProcesses(), m => m.EndsWith(":configure", StringComparison.Ordinal));

        deployment.ReleaseListenPort();
        deployment.Open();
        await deployment.RestartControlPlaneAsync();
        await deployment.WaitConvergedAsync();

        var status = await deployment.Runner.StatusAsync(GatedHelloDeployment.Name);
        var servers = HelloEndToEndTests.Servers(status);
        Assert.Equal(GatedHelloDeployment.ServerCount, servers.Count);
        Assert.All(servers, s => Assert.Equal("inService", s.State));
        Assert.Equal(servers.Count, servers.Select(s => s.Name).Distinct().Count());
        Assert.Equal(servers.Count, servers.Select(s => s.Address).Distinct().Count());

        // Not lost: a server that ran before the crash is adopted, the same process, not launched again.
        Assert.Subset(servers.Select(s => (s.Name, s.Pid)).ToHashSet(), launched.Select(s => (s.Name, s.Pid)).ToHashSet());

        // Not leaked or duplicated: every server process of this home is one the state knows, once; no hook is left.
        await Eventually.WaitAsync(() => deployment.MarkedProcesses().Count == servers.Count, "interrupted launches to be cleaned up");
        Assert.Equal(servers.Select(s => s.Name).Order(), deployment.MarkedProcesses().Order());

        await AssertLoadBalancerSendsToAsync(deployment, status, servers);
    }

    private static async Task AssertLoadBalancerSendsToAsync(GatedHelloDeployment deployment, JsonElement status, List<HelloEndToEndTests.ServerRow> servers)
    {
        var lb = status.GetProperty("loadBalancers")[0];
        Assert.Equal("running", lb.GetProperty("state").GetString());
        Assert.Equal(servers.Select(s => s.Name).Order(), ResiliencyDeployment.Members(status).Order());
        Assert.Equal(1, GatedHelloDeployment.LoadBalancerProcesses(lb.GetProperty("physicalName").GetString()!));

        // Round robin over six servers: four rounds of answers name each of them.
        var answers = await HelloEndToEndTests.AnswersAsync($"{deployment.Front.Url}/", 4 * servers.Count);
        Assert.Equal(servers.Select(s => $"hello from {s.Name}").Order(), answers.Distinct().Order());
    }
}
