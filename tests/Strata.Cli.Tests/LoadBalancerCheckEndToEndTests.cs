using System.Net;
using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// A load balancer with a <c>health:</c> of its own, on real processes and the built-in load balancer: a server that
/// passes its tier's check is in service, but it joins the load balancer only once the load balancer's check passes.
/// </summary>
[Trait("kind", "e2e")]
public sealed class LoadBalancerCheckEndToEndTests
{
    private const string Deployment = "ready";

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };

    // Alive at once; ready only once the file named by READY_FILE exists, as an app that warms a cache first.
    private const string App = """
        import http.server, os, sys
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status = 200
                if self.path == "/ready" and not os.path.exists(os.environ["READY_FILE"]):
                    status = 503
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
        """;

    [Fact]
    public async Task Up_ServerAliveButNotReady_InServiceYetOutOfRotationUntilTheLoadBalancersCheckPasses()
    {
        await using var strata = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var ready = strata.Home.Combine("ready-flag");
        strata.Home.WriteFile("ready/app/app.py", App);
        var spec = strata.Home.WriteFile("ready/strata.yaml", $$"""
            deployment: ready
            images:
              app: { from: ./app, run: "exec python3 app.py ${self.address} 8000" }
            tiers:
              web:
                image: app
                servers: 1
                ports: { http: 8000 }
                env: { READY_FILE: "{{ready}}" }
                health: { http: /healthz, interval: 500ms, timeout: 450ms, healthyAfter: 1, grace: 30s }
            loadBalancers:
              front:
                listen: {{front}}
                to: web:http
                health: { http: /ready, interval: 500ms, timeout: 450ms, healthyAfter: 1, unhealthyAfter: 1 }
            """);

        var up = await strata.UpAsync(spec, Deployment, "--no-wait");
        Assert.True(up.ExitCode == 0, up.ToString());
        await Eventually.WaitAsync(async () =>
        {
            var now = await strata.StatusAsync(Deployment);
            return HelloEndToEndTests.Servers(now) is [{ State: "inService" }]
                   && now.GetProperty("loadBalancers")[0].GetProperty("state").GetString() == "running"
                   && (await EventsAsync(strata)).Any(e => Kind(e) == "loadbalancer.check");
        }, "the server to be in service, the load balancer running and its check failing");

        var status = await strata.StatusAsync(Deployment);
        var server = Assert.Single(HelloEndToEndTests.Servers(status));
        var events = await EventsAsync(strata);
        Assert.Equal("inService", server.State);
        Assert.Empty(Members(status));
        Assert.Equal($"{server.Name} fails front's check: GET /ready answered 503", LoadBalancerMessage(status));
        Assert.NotEqual("Converged", status.GetProperty("phase").GetString());
        Assert.Equal($"{server.Name} is not in load balancer front's rotation: its check fails: GET /ready answered 503", Message(events.Single(e => Kind(e) == "loadbalancer.check")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await s_http.GetAsync($"{front.Url}/")).StatusCode);

        File.WriteAllText(ready, "");
        await Eventually.WaitAsync(async () => (await strata.StatusAsync(Deployment)).GetProperty("phase").GetString() == "Converged", "the deployment to converge once the server is ready");

        var after = await strata.StatusAsync(Deployment);
        Assert.Equal([server.Name], Members(after));
        Assert.Null(LoadBalancerMessage(after));
        Assert.Equal([(server.Name, server.Pid)], HelloEndToEndTests.Servers(after).Select(s => (s.Name, s.Pid)));
        Assert.Equal("ok", await s_http.GetStringAsync($"{front.Url}/"));
        var log = await EventsAsync(strata);
        Assert.DoesNotContain(log, e => Kind(e) is "server.failed" or "server.error");
        Assert.Contains(log, e => Kind(e) == "loadbalancer.members" && Message(e) == $"front now sends to {server.Name}");
    }

    private static List<string> Members(JsonElement status) =>
        [.. status.GetProperty("loadBalancers")[0].GetProperty("members").EnumerateArray().Select(m => m.GetString()!)];

    private static string? LoadBalancerMessage(JsonElement status) =>
        status.GetProperty("loadBalancers")[0].TryGetProperty("message", out var message) ? message.GetString() : null;

    private static string Kind(JsonElement e) => e.GetProperty("kind").GetString()!;

    private static string Message(JsonElement e) => e.GetProperty("message").GetString()!;

    private static async Task<List<JsonElement>> EventsAsync(StrataRunner strata)
    {
        var result = await strata.RunAsync(TimeSpan.FromSeconds(30), "events", Deployment, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }
}
