using System.Text.Json;
using Xunit.Abstractions;

namespace Strata.Cli.Tests;

/// <summary>A threshold rule on the request rate the load balancer measures, driven by real load from wrk.</summary>
[Trait("kind", "e2e")]
public sealed class AutoscalingEndToEndTests(ITestOutputHelper output)
{
    // Per server, as the load balancer measures it. Even on a busy two-core machine wrk through the proxy makes
    // some 40 req/s per connection, far above 10; an idle tier gets none (health checks do not pass the proxy).
    private const string Rule = """
        scaling:
          - { metric: requestRate, above: 10, below: 2, for: 2s, cooldown: 3s, step: 1 }
        """;

    [Fact]
    public async Task RequestRateRule_LoadThenIdle_ScalesOutToMaxAndBackInToMin()
    {
        await using var strata = new StrataRunner();
        var deployment = new ResiliencyDeployment(strata, "{ min: 1, max: 3, desired: 1 }", Rule);
        var up = await deployment.UpAsync();
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Single(await deployment.ServersAsync());

        // A few connections are plenty for the rate and leave the two cores to the servers being launched.
        await using (var load = LoadGenerator.Start(deployment.Url, LoadGenerator.LongestRun, connections: 4, threads: 1))
        {
            await deployment.WaitAsync(
                status => ResiliencyDeployment.Tier(status).GetProperty("desired").GetInt32() == 3 && ResiliencyDeployment.Members(status).Count == 3,
                "the tier to scale out to its max of 3, all in the load balancer", TimeSpan.FromSeconds(40));
            Assert.False(load.HasExited, "the tier must have scaled out while the load ran");
            var report = await load.StopAsync();
            output.WriteLine(report.ToString());
            Assert.True(report.Failed == 0, report.ToString());
        }

        var scaledOut = await deployment.EventsAsync();
        var outward = ScalingEvents(scaledOut).Where(m => m.Contains("from 1 to 2", StringComparison.Ordinal) || m.Contains("from 2 to 3", StringComparison.Ordinal)).ToList();
        Assert.True(outward.Count == 2, string.Join('\n', ScalingEvents(scaledOut)));
        Assert.All(outward, m => Assert.Contains("requestRate", m, StringComparison.Ordinal));

        await deployment.WaitAsync(
            status => ResiliencyDeployment.Tier(status).GetProperty("desired").GetInt32() == 1 && HelloEndToEndTests.Servers(status).Count == 1,
            "the idle tier to scale back in to its min of 1", TimeSpan.FromSeconds(40));

        var all = ScalingEvents(await deployment.EventsAsync());
        output.WriteLine(string.Join('\n', all));
        var inward = all.Where(m => m.Contains("from 3 to 2", StringComparison.Ordinal) || m.Contains("from 2 to 1", StringComparison.Ordinal)).ToList();
        Assert.True(inward.Count == 2, string.Join('\n', all));
        Assert.All(inward, m => Assert.Contains("requestRate", m, StringComparison.Ordinal));
        var survivor = Assert.Single(await deployment.ServersAsync());
        Assert.Equal("inService", survivor.State);
        Assert.Equal([$"v1 {survivor.Name}"], (await deployment.AnswersAsync(5)).Distinct());
    }

    private static IEnumerable<string> ScalingEvents(List<JsonElement> events) =>
        events.Where(e => e.GetProperty("kind").GetString() == "tier.scaling").Select(e => e.GetProperty("message").GetString()!);
}
