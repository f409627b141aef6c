using Strata.Testing;
using Xunit.Abstractions;

namespace Strata.Cli.Tests;

/// <summary>Servers killed under load: clients see no failed request and the tier recovers on new addresses.</summary>
[Trait("kind", "e2e")]
public sealed class ResiliencyEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KillServers_UnderLoad_TierRecoversOnNewAddresses()
    {
        await using var strata = new StrataRunner();
        var deployment = new ResiliencyDeployment(strata, "3");
        var (report, victims) = await KillTwoServersUnderLoadAsync(deployment);

        Assert.True(report.Requests > 100, report.ToString());
        Assert.True(report.SocketErrors == 0, report.ToString());
        var recovered = await deployment.ServersAsync();
        Assert.Equal(3, recovered.Select(s => s.Address).Distinct().Count());
        Assert.All(recovered, s => Assert.True(StrataRunner.IsAlive(s.Pid), $"{s.Name} pid {s.Pid} is not running"));
        Assert.Equal(recovered.Select(s => $"v1 {s.Name}").Order(), (await deployment.AnswersAsync(30)).Distinct().Order());

        // Each death is on record, naming the server, so an operator can see what happened under the load.
        var events = await deployment.EventsAsync();
        Assert.All(victims, v => Assert.Contains(events, e => e.GetProperty("kind").GetString() == "server.failed"
            && e.GetProperty("message").GetString()!.StartsWith(v.Name + " failed", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task KillServers_UnderLoad_NoFailedRequests()
    {
        await using var strata = new StrataRunner();
        var deployment = new ResiliencyDeployment(strata, "3");
        var (report, _) = await KillTwoServersUnderLoadAsync(deployment);

        Assert.True(report.Requests > 100, report.ToString());
        Assert.True(report.Failed == 0, report.ToString());
    }

    [Fact]
    public async Task KillEveryServer_AtOnce_ReplacedWithoutACrashLoop()
    {
        await using var strata = new StrataRunner();
        var deployment = new ResiliencyDeployment(strata, "3");
        var up = await deployment.UpAsync();
        Assert.True(up.ExitCode == 0, up.ToString());
        var original = await deployment.ServersAsync();

        // A host going down takes all its servers at once; each ran healthily, so no launch has failed.
        await Task.WhenAll(original.Select(s => ResiliencyDeployment.KillProcessGroupAsync(s.Pid)));
        await deployment.WaitAsync(
            status => HelloEndToEndTests.Servers(status) is var servers && servers.Count(s => s.State == "inService") == 3
                      && servers.All(s => original.All(o => o.Name != s.Name)) && ResiliencyDeployment.Members(status).Count == 3,
            "all three servers to be replaced and in the load balancer", TimeSpan.FromSeconds(40));

        Assert.Equal(3, (await deployment.AnswersAsync(9)).Distinct().Count());
        var events = await deployment.EventsAsync();
        Assert.DoesNotContain(events, e => e.GetProperty("kind").GetString() == "tier.crashloop");
    }

    /// <summary>
    /// Runs wrk through the load balancer of a converged three-server tier, <c>kill -9</c>s two random servers one
    /// after the other (the second once the first has left the pool), and ends the load once both are replaced.
    /// </summary>
    private async Task<(LoadReport Report, List<HelloEndToEndTests.ServerRow> Victims)> KillTwoServersUnderLoadAsync(ResiliencyDeployment deployment)
    {
        var up = await deployment.UpAsync();
        Assert.True(up.ExitCode == 0, up.ToString());
        var original = await deployment.ServersAsync();
        Assert.Equal(3, original.Count(s => s.State == "inService"));

        // The longest run the generator allows, beyond every wait below, so that the load cannot end first; it is
        // ended as soon as the tier has recovered.
        await using var load = LoadGenerator.Start(deployment.Url, LoadGenerator.LongestRun, connections: 8, threads: 2);
        await deployment.WaitForTrafficAsync();
        var seed = Random.Shared.Next();
        output.WriteLine($"victims chosen with random seed {seed}");
        var random = new Random(seed);
        var victims = new List<HelloEndToEndTests.ServerRow>();
        while (victims.Count < 2)
        {
            Assert.False(load.HasExited, "the load must still run when a server is killed");
            // Chosen from the servers in service now: one read before the load may have been replaced since.
            await deployment.WaitAsync(
                status => HelloEndToEndTests.Servers(status).Any(s => s.State == "inService" && victims.All(v => v.Name != s.Name)), "a server in service to kill");
            var candidates = (await deployment.ServersAsync()).Where(s => s.State == "inService" && victims.All(v => v.Name != s.Name)).ToList();
            var victim = candidates[random.Next(candidates.Count)];
            if (!await ResiliencyDeployment.TryKillProcessGroupAsync(victim.Pid))
            {
                output.WriteLine($"{victim.Name} (pid {victim.Pid}) was gone before the kill; choosing again");
                continue;
            }

            victims.Add(victim);
            await deployment.WaitAsync(status => !ResiliencyDeployment.Members(status).Contains(victim.Name), $"the killed server {victim.Name} to leave the load balancer");
        }

        var victimAddresses = victims.Select(v => v.Address).ToHashSet();
        await deployment.WaitAsync(
            status => HelloEndToEndTests.Servers(status) is var servers && servers.Count(s => s.State == "inService") == 3
                      && ResiliencyDeployment.Members(status).Count == 3
                      && servers.All(s => victims.All(v => v.Name != s.Name) && !victimAddresses.Contains(s.Address)),
            "both killed servers to be replaced, in service and in the load balancer", TimeSpan.FromSeconds(40));
        Assert.False(load.HasExited, "the load must still run while the tier recovers");
        var report = await load.StopAsync();
        output.WriteLine(report.ToString());
        return (report, victims);
    }
}
