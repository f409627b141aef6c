using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>Scaling, health-gated membership and bad input, each on real processes.</summary>
[Trait("kind", "e2e")]
public sealed class LifecycleEndToEndTests
{
    private const string App = """
        import http.server, os, signal, sys
        host, port = sys.argv[1].rsplit(":", 1)
        name = os.environ["STRATA_SERVER_NAME"]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                sick = self.path == "/healthz" and os.path.exists("sick")
                body = ("sick" if sick else name).encode()
                self.send_response(500 if sick else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        http.server.ThreadingHTTPServer((host, int(port)), Handler).serve_forever()
        """;

    // A probe answered in 450 ms passes: on a machine loaded with other test runs a small Python server has taken more
    // than 150 ms (the earlier timeout) to answer twice in a row, and was judged unhealthy in the middle of a scaling
    // test. A sick server still fails at once: it answers 500.
    private static string Spec(LoopbackEndpoint front, string servers, string run = "python3 app.py ${self.address}:8000") => $$"""
        deployment: life
        images:
          app: { from: ./app, run: "{{run}}" }
        tiers:
          web:
            image: app
            servers: {{servers}}
            ports: [8000]
            health: { http: /healthz, interval: 500ms, timeout: 450ms, healthyAfter: 1, unhealthyAfter: 2 }
        loadBalancers:
          front: { listen: "{{front}}", to: "web:8000" }
        """;

    private static string Write(StrataRunner strata, string spec)
    {
        strata.Home.WriteFile("life/app/app.py", App);
        return strata.Home.WriteFile("life/strata.yaml", spec);
    }

    [Fact]
    public async Task Scale_UpThenDown_ServersFollowTheDesiredCount()
    {
        await using var strata = new StrataRunner();
        var spec = Write(strata, Spec(LoopbackPorts.Reserve(), "{ min: 1, max: 4, desired: 2 }"));
        var up = await strata.UpAsync(spec, "life");
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.DoesNotContain("warning:", up.Error, StringComparison.Ordinal);
        Assert.Equal(2, HelloEndToEndTests.Servers(await strata.StatusAsync("life")).Count);

        var scaleUp = await strata.RunAsync(TimeSpan.FromMinutes(1), "scale", "life", "web", "3");
        Assert.True(scaleUp.ExitCode == 0, scaleUp.ToString());
        var three = HelloEndToEndTests.Servers(await strata.StatusAsync("life"));
        Assert.Equal(3, three.Count(s => s.State == "inService"));

        var scaleDown = await strata.RunAsync(TimeSpan.FromMinutes(1), "scale", "life", "web", "1");
        Assert.True(scaleDown.ExitCode == 0, scaleDown.ToString());
        var one = HelloEndToEndTests.Servers(await strata.StatusAsync("life"));
        Assert.Single(one);
        // Every server the scale-in showed is told terminated, even one gone before it was seen terminating.
        Assert.All(three.Where(s => s.Name != one[0].Name && scaleDown.Error.Contains(s.Name, StringComparison.Ordinal)),
            s => Assert.Matches($@"{s.Name}\s+terminated", scaleDown.Error));
        Assert.All(three.Where(s => s.Name != one[0].Name), s => Assert.False(StrataRunner.IsAlive(s.Pid)));
        // Each server scaled in leaves the load balancer before it stops, and the events say so (told by its drain, with
        // why, or by the pass that saw it terminating): a change of the members leaves it out and keeps the one kept.
        var events = await strata.RunAsync(TimeSpan.FromSeconds(30), "events", "life", "--json");
        var members = events.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("kind").GetString() == "loadbalancer.members")
            .Select(e => e.GetProperty("message").GetString()!.Split(" (")[0]["front now sends to ".Length..].Split(", ")).ToList();
        Assert.All(three.Where(s => s.Name != one[0].Name), s => Assert.Contains(members, m => !m.Contains(s.Name) && m.Contains(one[0].Name)));

        var outOfRange = await strata.RunAsync(TimeSpan.FromSeconds(30), "scale", "life", "web", "9");
        Assert.Equal(ExitCodes.Usage, outOfRange.ExitCode);
        Assert.Contains("between 1 and 4", outOfRange.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnhealthyServer_LeavesTheLoadBalancer_AndGetsNoTraffic()
    {
        await using var strata = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var up = await strata.UpAsync(Write(strata, Spec(front, "2")), "life");
        Assert.True(up.ExitCode == 0, up.ToString());
        var servers = HelloEndToEndTests.Servers(await strata.StatusAsync("life"));
        var sick = servers[0];
        File.WriteAllText(Path.Combine(strata.Home.Path, "local", "servers", sick.Name, "root", "sick"), "");

        await Eventually.WaitAsync(async () =>
        {
            var status = await strata.StatusAsync("life");
            var members = status.GetProperty("loadBalancers")[0].GetProperty("members").EnumerateArray().Select(m => m.GetString()).ToList();
            var state = HelloEndToEndTests.Servers(status).FirstOrDefault(s => s.Name == sick.Name)?.State;
            return !members.Contains(sick.Name) && state is null or "unhealthy" or "terminating";
        }, "the sick server to be unhealthy and out of the pool");
        var events = await strata.RunAsync(TimeSpan.FromSeconds(30), "events", "life");
        Assert.Contains($"{sick.Name} is unhealthy", events.Out, StringComparison.Ordinal);

        // The unhealthy server is replaced (recovery delay 0), but whatever serves meanwhile, it never does.
        var answers = await HelloEndToEndTests.AnswersAsync($"{front.Url}/", 20);
        Assert.DoesNotContain(sick.Name, answers);
        await Eventually.WaitAsync(async () =>
        {
            var replaced = HelloEndToEndTests.Servers(await strata.StatusAsync("life"));
            return replaced.Count == 2 && replaced.All(s => s.State == "inService" && s.Name != sick.Name);
        }, "the unhealthy server to be replaced");
    }

    [Fact]
    public async Task Up_InvalidSpec_PrintsLocatedErrorsAndStartsNothing()
    {
        await using var strata = new StrataRunner();
        var spec = Write(strata, Spec(LoopbackPorts.Reserve(), "{ min: 3, max: 2 }"));
        var up = await strata.UpAsync(spec, "life");
        Assert.Equal(ExitCodes.InvalidSpec, up.ExitCode);
        Assert.Matches(@"strata\.yaml:\d+:\d+: error: ", up.Error);
        Assert.False(File.Exists(Path.Combine(strata.Home.Path, "server.json")), "no control plane should have been started");
    }

    [Fact]
    public async Task Plan_FirewallRulesOnTheLocalProvider_WarnsTheyAreNotEnforced()
    {
        await using var strata = new StrataRunner();
        // A plan binds no port, so the load balancer's listen port need not be free.
        var spec = Write(strata, Spec(new LoopbackEndpoint("127.0.0.1", 8080), "1") + "\nfirewall:\n  - any -> front:8080\n  - front -> web:8000\n");

        var plan = await strata.RunAsync(TimeSpan.FromMinutes(1), "plan", spec);

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("warning: the local provider does not enforce firewall rules; 2 recorded, not applied", plan.Error, StringComparison.Ordinal);
        Assert.Contains("+ firewall[any->front:8080/tcp]", plan.Out, StringComparison.Ordinal);
        Assert.Contains("+ firewall[front->web:8000/tcp]", plan.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_ParameterFromTheEnvironment_IsUsed()
    {
        await using var strata = new StrataRunner();
        strata.Environment["STRATA_PARAM_COUNT"] = "3";
        var spec = Write(strata, Spec(new LoopbackEndpoint("127.0.0.1", 8080), "${params.count}") + "\nparameters:\n  count: { type: int, default: 1 }\n");

        var plan = await strata.RunAsync(TimeSpan.FromMinutes(1), "plan", spec);

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("+ tiers.web (3 servers)", plan.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_RunCommandExitsAtOnce_FailsWithTheReasonInStatus()
    {
        await using var strata = new StrataRunner();
        var spec = Write(strata, Spec(LoopbackPorts.Reserve(), "1", run: "echo cannot open database >&2; exit 7"));
        var up = await strata.UpAsync(spec, "life");
        Assert.Equal(ExitCodes.NotConverged, up.ExitCode);
        Assert.Contains("cannot open database", up.Error, StringComparison.Ordinal);

        var status = await strata.StatusAsync("life");
        Assert.Equal("Degraded", status.GetProperty("phase").GetString());
        Assert.Contains("exit", status.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
