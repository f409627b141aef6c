using System.Text.Json;
using Strata.Testing;
using Xunit.Abstractions;

namespace Strata.Cli.Tests;

/// <summary>Rolling immutable updates on <c>strata up</c> with a changed image, under real load through the load balancer.</summary>
[Trait("kind", "e2e")]
public sealed class RolloutEndToEndTests(ITestOutputHelper output)
{
    private const string Update = "update: { maxSurge: 1, maxUnavailable: 0, bake: 1s }";


    /// <summary>wrk runs at most this long, beyond the second <c>up</c>'s own limit; it is ended as soon as that returns.</summary>
    private static readonly TimeSpan s_loadLimit = LoadGenerator.LongestRun;

    [Fact]
    public async Task Up_NewImageUnderLoad_ReplacesEveryServerWithoutFailedRequests()
    {
        await using var strata = new StrataRunner();
        var deployment = new ResiliencyDeployment(strata, "3", Update);
        var first = await deployment.UpAsync();
        Assert.True(first.ExitCode == 0, first.ToString());
        var old = await deployment.ServersAsync();

        deployment.SetVersion("v2");
        var (second, report) = await UpUnderLoadAsync(deployment);

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.True(report.Requests > 100, report.ToString());
        Assert.True(report.Failed == 0, report.ToString());

        // `up` may return before the last old server has gone (see Up_NewImage_ReturnsOnlyOnceNoOldServerServes);
        // the rollout itself must still finish on its own.
        await deployment.WaitAsync(
            status => status.GetProperty("rollouts").GetArrayLength() == 0 && HelloEndToEndTests.Servers(status) is var s
                      && s.Count == 3 && s.All(x => x.State == "inService" && old.All(o => o.Name != x.Name)),
            "the rollout to complete with three new servers");
        var servers = await deployment.ServersAsync();
        Assert.All(old, o => Assert.False(StrataRunner.IsAlive(o.Pid), $"old server {o.Name} pid {o.Pid} is still running"));
        Assert.Equal(servers.Select(s => $"v2 {s.Name}").Order(), (await deployment.AnswersAsync(30)).Distinct().Order());
    }

    [Fact]
    public async Task Up_NewImage_ReturnsOnlyOnceNoOldServerServes()
    {
        await using var strata = new StrataRunner();
        var deployment = new ResiliencyDeployment(strata, "3", "update: { maxSurge: 1, maxUnavailable: 0, bake: 3s }");
        var first = await deployment.UpAsync();
        Assert.True(first.ExitCode == 0, first.ToString());
        var old = await deployment.ServersAsync();

        deployment.SetVersion("v2");
        var second = await deployment.UpAsync();

        Assert.True(second.ExitCode == 0, second.ToString());
        var status = await deployment.StatusAsync();
        var servers = HelloEndToEndTests.Servers(status);
        Assert.True(servers.Count == 3 && servers.All(s => s.State == "inService" && old.All(o => o.Name != s.Name)), $"{second.Error}\n{status}");
        Assert.Equal(0, status.GetProperty("rollouts").GetArrayLength());
        Assert.All(await deployment.AnswersAsync(30), a => Assert.StartsWith("v2 ", a, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("unhealthy")]
    [InlineData("exit")]
    public async Task Up_BrokenNewImageUnderLoad_RollsBackAndOldVersionKeepsServing(string mode)
    {
        await using var strata = new StrataRunner();
        var deployment = new ResiliencyDeployment(strata, "3", Update);
        var first = await deployment.UpAsync();
        Assert.True(first.ExitCode == 0, first.ToString());
        var oldImage = Image(await deployment.StatusAsync());

        deployment.SetVersion("v2", mode);
        var (second, report) = await UpUnderLoadAsync(deployment);

        Assert.True(second.ExitCode == ExitCodes.NotConverged, second.ToString());
        Assert.Contains("rolled back", second.Error, StringComparison.Ordinal);
        Assert.True(report.Requests > 100, report.ToString());
        Assert.True(report.Failed == 0, report.ToString());
        var status = await deployment.StatusAsync();
        Assert.False(string.IsNullOrEmpty(status.GetProperty("rolledBack").GetString()), status.ToString());
        var servers = HelloEndToEndTests.Servers(status);
        Assert.Equal(3, servers.Count(s => s.State == "inService"));
        Assert.All(status.GetProperty("servers").EnumerateArray(), s => Assert.Equal(oldImage, s.GetProperty("image").GetString()));
        Assert.All(await deployment.AnswersAsync(30), a => Assert.StartsWith("v1 ", a, StringComparison.Ordinal));
        Assert.Contains(await deployment.EventsAsync(), e => e.GetProperty("kind").GetString() == "deployment.rollback");
    }

    [Fact]
    public async Task Up_CanaryThenPromote_OneNewServerFirstThenAll()
    {
        await using var strata = new StrataRunner();
        var deployment = new ResiliencyDeployment(strata, "3", "update: { canary: true }");
        var first = await deployment.UpAsync();
        Assert.True(first.ExitCode == 0, first.ToString());
        var oldImage = Image(await deployment.StatusAsync());

        deployment.SetVersion("v2");
        var canary = await deployment.UpAsync();
        Assert.True(canary.ExitCode == 0, canary.ToString());
        Assert.Contains("promote", canary.Error, StringComparison.Ordinal);
        var waiting = await deployment.StatusAsync();
        Assert.Equal("AwaitingPromotion", waiting.GetProperty("phase").GetString());
        var images = waiting.GetProperty("servers").EnumerateArray()
            .Where(s => s.GetProperty("state").GetString() == "inService").Select(s => s.GetProperty("image").GetString()).ToList();
        Assert.Equal(3, images.Count);
        Assert.Single(images, i => i != oldImage);
        Assert.Single(waiting.GetProperty("rollouts").EnumerateArray());
        var versions = (await deployment.AnswersAsync(40)).Select(a => a.Split(' ')[0]).Distinct().Order();
        Assert.Equal(["v1", "v2"], versions);

        var promote = await strata.RunAsync(TimeSpan.FromMinutes(2), "promote", ResiliencyDeployment.Name, "web");
        Assert.True(promote.ExitCode == 0, promote.ToString());
        var done = await deployment.StatusAsync();
        Assert.Equal("Converged", done.GetProperty("phase").GetString());
        var servers = HelloEndToEndTests.Servers(done);
        Assert.Equal(3, servers.Count(s => s.State == "inService"));
        Assert.All(done.GetProperty("servers").EnumerateArray(), s => Assert.NotEqual(oldImage, s.GetProperty("image").GetString()));
        Assert.Empty(done.GetProperty("rollouts").EnumerateArray());
        Assert.Equal(servers.Select(s => $"v2 {s.Name}").Order(), (await deployment.AnswersAsync(30)).Distinct().Order());
    }

    private async Task<(CliResult Up, LoadReport Load)> UpUnderLoadAsync(ResiliencyDeployment deployment)
    {
        await using var load = LoadGenerator.Start(deployment.Url, s_loadLimit, connections: 8, threads: 2);
        await deployment.WaitForTrafficAsync();
        var up = await deployment.UpAsync();
        Assert.False(load.HasExited, "the load must span the whole update");
        var report = await load.StopAsync();
        output.WriteLine(up.Error);
        output.WriteLine(report.ToString());
        return (up, report);
    }

    private static string Image(JsonElement status) =>
        status.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("image").GetString()!).Distinct().Single();
}
