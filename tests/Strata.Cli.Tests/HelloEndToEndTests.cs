using System.Text.Json;
using System.Text.RegularExpressions;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>examples/hello on real processes: up, traffic through the load balancer, a control-plane crash, down.</summary>
[Trait("kind", "e2e")]
public sealed partial class HelloEndToEndTests
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Up_Hello_ServesFromAllServersSurvivesControlPlaneKillAndDownLeavesNothing()
    {
        await using var strata = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var spec = strata.CopyExample("hello", new Dictionary<string, string> { ["127.0.0.1:8080"] = $"{front}", ["front:8080"] = $"front:{front.Port}" });

        var up = await strata.UpAsync(spec, "hello");
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Contains($"url = {front.Url}", up.Out, StringComparison.Ordinal);
        Assert.Contains("warning: the local provider does not enforce firewall rules; 2 recorded, not applied", up.Error, StringComparison.Ordinal);

        var status = await strata.StatusAsync("hello");
        var servers = Servers(status);
        Assert.Equal(3, servers.Count);
        Assert.All(servers, s => Assert.Equal("inService", s.State));
        Assert.Equal(3, servers.Select(s => s.Address).Distinct().Count());
        Assert.All(servers, s => Assert.StartsWith("127.", s.Address, StringComparison.Ordinal));
        Assert.All(servers, s => Assert.True(StrataRunner.IsAlive(s.Pid), $"server {s.Name} pid {s.Pid} is not running"));

        // Events carry their server and states as fields, which is what `up` reads to follow progress.
        var events = await strata.RunAsync(TimeSpan.FromSeconds(30), "events", "hello", "--json");
        var cameIntoService = events.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.GetProperty("kind").GetString() == "server.state" && e.GetProperty("toState").GetString() == "InService")
            .Select(e => (e.GetProperty("tier").GetString(), e.GetProperty("server").GetString()))
            .Distinct();
        Assert.Equal(servers.Select(s => ((string?)s.Tier, (string?)s.Name)).Order(), cameIntoService.Order());

        var answered = await AnswersAsync($"{front.Url}/", 30);
        Assert.Equal(servers.Select(s => $"hello from {s.Name}").Order(), answered.Distinct().Order());

        await KillControlPlaneAndRestartAsync(strata);
        var after = Servers(await strata.StatusAsync("hello"));
        Assert.Equal(servers.Select(s => (s.Name, s.Pid)).Order(), after.Select(s => (s.Name, s.Pid)).Order());
        Assert.Equal(3, (await AnswersAsync($"{front.Url}/", 9)).Distinct().Count());

        var lbPid = LoadBalancerPid(await strata.StatusAsync("hello"));
        var down = await strata.RunAsync(TimeSpan.FromMinutes(1), "down", "hello", "--yes");
        Assert.True(down.ExitCode == 0, down.ToString());
        // Its progress ends with what it took down, each once.
        Assert.All(servers, s => Assert.Single(Regex.Matches(down.Error, $@"{s.Name}\s+terminated\n")));
        Assert.Matches(@"lb front\s+hello-front-\w+\s+stopped\n", down.Error);
        await Eventually.WaitAsync(() => servers.All(s => !StrataRunner.IsAlive(s.Pid)) && !StrataRunner.IsAlive(lbPid), "every server and the load balancer to exit");
        // The load balancer's folder holds its admin token and pin key: nothing of it may outlive the deployment.
        Assert.Empty(Directory.EnumerateFileSystemEntries(strata.Home.Combine("loadbalancers"), "hello-*", SearchOption.AllDirectories));
        foreach (var server in servers)
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => s_http.GetAsync($"http://{server.Address}:8000/"));
        }
    }

    [Fact]
    public async Task PlanThenUp_TierWithoutZones_ServersRunInTheZoneThePlanShowed()
    {
        await using var strata = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var spec = strata.CopyExample("hello", new Dictionary<string, string> { ["127.0.0.1:8080"] = $"{front}", ["front:8080"] = $"front:{front.Port}" });

        var plan = await strata.RunAsync(TimeSpan.FromMinutes(1), "plan", spec);
        var up = await strata.UpAsync(spec, "hello");

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.True(up.ExitCode == 0, up.ToString());
        var planned = ZoneWord().Matches(plan.Out + plan.Error).Select(m => m.Value).Distinct();
        var launched = (await strata.StatusAsync("hello")).GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("zone").GetString()).Distinct();
        Assert.Equal(["local-a"], planned);
        Assert.Equal(["local-a"], launched);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"local-[a-z]\b")]
    private static partial System.Text.RegularExpressions.Regex ZoneWord();

    private static async Task KillControlPlaneAndRestartAsync(StrataRunner strata)
    {
        var pid = await strata.ControlPlanePidAsync();
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        await Eventually.WaitAsync(() => !StrataRunner.IsAlive(pid), "the control plane to die");
        var start = await strata.RunAsync(TimeSpan.FromMinutes(1), "server", "start", "--listen", strata.Listen);
        Assert.True(start.ExitCode == 0, start.ToString());
        await Eventually.WaitAsync(async () => (await strata.StatusAsync("hello")).GetProperty("phase").GetString() == "Converged", "the deployment to converge after the restart");
    }

    public static async Task<List<string>> AnswersAsync(string url, int count)
    {
        var answers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            answers.Add((await s_http.GetStringAsync(url)).Trim());
        }

        return answers;
    }

    public sealed record ServerRow(string Name, string Tier, string Address, string State, int Pid);

    public static List<ServerRow> Servers(JsonElement status) =>
        [.. status.GetProperty("servers").EnumerateArray().Select(s => new ServerRow(
            s.GetProperty("name").GetString()!,
            s.GetProperty("tier").GetString()!,
            s.GetProperty("address").GetString() ?? "",
            s.GetProperty("state").GetString()!,
            s.TryGetProperty("pid", out var pid) && pid.ValueKind == JsonValueKind.Number ? pid.GetInt32() : 0))];

    public static int LoadBalancerPid(JsonElement status) =>
        status.GetProperty("loadBalancers")[0].GetProperty("pid").GetInt32();
}
