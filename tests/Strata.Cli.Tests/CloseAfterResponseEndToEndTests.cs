using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Strata.Cli.Tests;

/// <summary>
/// The hello example's kind of app (Python's <c>http.server</c>: HTTP/1.0, each connection closed after one response,
/// a listen backlog of 5) behind each load balancer driver while its tier scales under <c>wrk</c>, by hand with
/// <c>strata scale</c> and by a request-rate rule: no client request may fail. The built-in load balancer used to
/// fail about one request in a thousand here, sending requests on pooled connections the server had closed; HAProxy
/// answered 503 for a second or two after <c>strata up</c> when its first check of the booting server was refused.
/// </summary>
public abstract class CloseAfterResponseEndToEndTests(ITestOutputHelper output)
{
    // Per server, as the load balancer measures it. The heavy load makes hundreds of requests a second, far above 20
    // per server at two servers. The light one makes at most 10 (two connections, each pausing 200 ms before every
    // request): 5 per server at two, below 10, so the tier scales in to its min while it runs; 10 at one server stays
    // below 20, so it does not scale out again.
    private const string Rule = """
        scaling:
          - { metric: requestRate, above: 20, below: 10, for: 2s, cooldown: 3s, step: 1 }
        """;

    /// <summary>
    /// Every wrk run is bounded; each is stopped as soon as what it spans is done, so the bound only matters on a
    /// machine so loaded that a `strata scale` and its servers' start take more than half a minute (seen at a load
    /// average of 40 on two cores).
    /// </summary>
    private static readonly TimeSpan s_loadLimit = TimeSpan.FromSeconds(90);

    // A wait under load ends before the run it needs does, or it reports the deployment's status and events.
    private static readonly TimeSpan s_waitUnderLoad = TimeSpan.FromSeconds(80);

    protected abstract string DriverName { get; }

    [Fact]
    public async Task ScaleOneToThreeToOne_UnderWrk_NoFailedRequest()
    {
        await using var strata = new StrataRunner();
        var deployment = await UpWithOneServerAsync(strata, tierExtra: "");
        var clock = Stopwatch.StartNew();

        await using var outward = LoadGenerator.Start(deployment.Url, s_loadLimit, connections: 4, threads: 1);
        await ScaleAsync(strata, 3);
        await deployment.WaitAsync(EveryMemberAnswers(3), "all three servers in the load balancer, each answering the load", s_waitUnderLoad);
        var three = await deployment.ServersAsync();
        Assert.False(outward.HasExited, "the load must still run when the tier has scaled out");
        output.WriteLine($"scaled out to 3 in {clock.Elapsed.TotalSeconds:0.0} s");

        // A second run takes over before the first stops, so the load never pauses and neither run passes its bound
        // on a slow machine, where every strata command takes seconds.
        await using var inward = LoadGenerator.Start(deployment.Url, s_loadLimit, connections: 4, threads: 1);
        var outwardReport = await outward.StopAsync();
        clock.Restart();
        await ScaleAsync(strata, 1);
        await deployment.WaitAsync(
            status => HelloEndToEndTests.Servers(status).Count == 1 && ResiliencyDeployment.Members(status).Count == 1,
            "the tier to be back at one server, alone in the load balancer", s_waitUnderLoad);
        Assert.False(inward.HasExited, "the load must still run when the tier has scaled in");
        var inwardReport = await inward.StopAsync();
        output.WriteLine($"scaled in to 1 in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine($"{DriverName}, strata scale 1 -> 3: {outwardReport}");
        output.WriteLine($"{DriverName}, strata scale 3 -> 1: {inwardReport}");

        AssertNoFailedRequest(outwardReport, deployment, atLeast: 100);
        AssertNoFailedRequest(inwardReport, deployment, atLeast: 100);
        Assert.Equal(3, three.Count);
        var survivor = Assert.Single(await deployment.ServersAsync());
        Assert.Contains(three, s => s.Name == survivor.Name);
        Assert.All(three.Where(s => s.Name != survivor.Name), s => Assert.False(StrataRunner.IsAlive(s.Pid), $"{s.Name} (pid {s.Pid}) still runs"));
    }

    [Fact]
    public async Task RequestRateRule_HeavyThenLightWrk_ScalesOutAndInWithNoFailedRequest()
    {
        await using var strata = new StrataRunner();
        var deployment = await UpWithOneServerAsync(strata, Rule);
        var clock = Stopwatch.StartNew();

        await using var heavy = LoadGenerator.Start(deployment.Url, s_loadLimit, connections: 4, threads: 1);
        await deployment.WaitAsync(EveryMemberAnswers(3), "the tier to scale out to its max of 3, each server answering the load", s_waitUnderLoad);
        Assert.False(heavy.HasExited, "the tier must have scaled out while the heavy load ran");
        output.WriteLine($"scaled out to 3 in {clock.Elapsed.TotalSeconds:0.0} s");

        // The light load starts before the heavy one stops, so the load balancer is never idle.
        await using var light = LoadGenerator.Start(deployment.Url, s_loadLimit, connections: 2, threads: 1, pause: TimeSpan.FromMilliseconds(200));
        var heavyReport = await heavy.StopAsync();
        clock.Restart();
        await deployment.WaitAsync(
            status => ResiliencyDeployment.Tier(status).GetProperty("desired").GetInt32() == 1
                      && HelloEndToEndTests.Servers(status).Count == 1 && ResiliencyDeployment.Members(status).Count == 1,
            "the lightly loaded tier to scale back in to its min of 1", s_waitUnderLoad);
        Assert.False(light.HasExited, "the tier must have scaled in while the light load ran");
        var lightReport = await light.StopAsync();
        output.WriteLine($"scaled in to 1 in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine($"{DriverName}, autoscaling 1 -> 3 under heavy load: {heavyReport}");
        output.WriteLine($"{DriverName}, autoscaling 3 -> 1 under light load: {lightReport}");

        AssertNoFailedRequest(heavyReport, deployment, atLeast: 100);
        AssertNoFailedRequest(lightReport, deployment, atLeast: 10);
        var scaling = (await deployment.EventsAsync())
            .Where(e => e.GetProperty("kind").GetString() == "tier.scaling").Select(e => e.GetProperty("message").GetString()!).ToList();
        output.WriteLine(string.Join('\n', scaling));
        string[] steps = ["from 1 to 2", "from 2 to 3", "from 3 to 2", "from 2 to 1"];
        Assert.True(
            scaling.Count == steps.Length && scaling.Zip(steps).All(p => p.First.Contains(p.Second, StringComparison.Ordinal) && p.First.Contains("requestRate", StringComparison.Ordinal)),
            "expected four requestRate steps, 1 -> 2 -> 3 -> 2 -> 1:\n" + string.Join('\n', scaling));
    }

    private async Task<ResiliencyDeployment> UpWithOneServerAsync(StrataRunner strata, string tierExtra)
    {
        var deployment = new ResiliencyDeployment(strata, "{ min: 1, max: 3, desired: 1 }", tierExtra, DriverName, ResiliencyApp.CloseAfterResponse);
        var up = await deployment.UpAsync();
        Assert.True(up.ExitCode == 0, up.ToString());
        return deployment;
    }

    private static async Task ScaleAsync(StrataRunner strata, int servers)
    {
        var scale = await strata.RunAsync(TimeSpan.FromSeconds(30), "scale", ResiliencyDeployment.Name, "web", servers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(scale.ExitCode == 0, scale.ToString());
    }

    /// <summary>
    /// <paramref name="count"/> members, each of which the load balancer measured answering requests: a server that
    /// has joined the pool but took no share of the load would not show that scaling under load works.
    /// </summary>
    private static Func<JsonElement, bool> EveryMemberAnswers(int count) => status =>
    {
        var lb = status.GetProperty("loadBalancers")[0];
        var members = ResiliencyDeployment.Members(status);
        return members.Count == count
            && lb.TryGetProperty("traffic", out var traffic) && traffic.ValueKind == JsonValueKind.Object
            && members.All(name => traffic.GetProperty("members").EnumerateArray()
                .Any(m => m.GetProperty("name").GetString() == name && m.GetProperty("requestsPerSecond").GetDouble() > 0));
    };

    private static void AssertNoFailedRequest(LoadReport report, ResiliencyDeployment deployment, long atLeast)
    {
        Assert.True(report.Requests >= atLeast, $"fewer than {atLeast} requests: {report}");
        Assert.True(report.Failed == 0, $"{report}\n{deployment.LoadBalancerLogTail()}");
    }
}

[Trait("kind", "e2e")]
public sealed class BuiltInCloseAfterResponseEndToEndTests(ITestOutputHelper output) : CloseAfterResponseEndToEndTests(output)
{
    protected override string DriverName => "builtin";
}

[Trait("kind", "e2e")]
public sealed class HaProxyCloseAfterResponseEndToEndTests(ITestOutputHelper output) : CloseAfterResponseEndToEndTests(output)
{
    protected override string DriverName => "haproxy";
}
