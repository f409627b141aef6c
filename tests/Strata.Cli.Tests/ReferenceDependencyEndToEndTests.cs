using System.Text.Json;

namespace Strata.Cli.Tests;

/// <summary>
/// A tier that refers to another tier's servers without <c>dependsOn</c>, tried as a new user would write it: the
/// reference alone makes it wait for those servers, and it launches once, with the final values.
/// </summary>
[Trait("kind", "e2e")]
public sealed class ReferenceDependencyEndToEndTests
{
    private const string Deployment = "chain";

    // The database tier takes a few seconds before it answers, as a real database does while it starts.
    private const string App = """
        import http.server, os, sys, time
        tier = os.environ["STRATA_TIER"]
        if tier == "db":
            time.sleep(3)
        print("DB_HOST=" + os.environ.get("DB_HOST", "-"), flush=True)
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
        """;

    [Fact]
    public async Task Up_TierRefersToAnotherWithoutDependsOn_WaitsOnceWithoutErrorsOrReplacements()
    {
        await using var strata = new StrataRunner();
        strata.Home.WriteFile("chain/app/app.py", App);
        var spec = strata.Home.WriteFile("chain/strata.yaml", """
            deployment: chain
            images:
              app: { from: ./app, run: "exec python3 app.py ${self.address} 8000" }
            tiers:
              db:
                image: app
                servers: 1
                ports: [8000]
                health: { http: /, interval: 500ms, timeout: 450ms, healthyAfter: 1, grace: 30s }
              web:
                image: app
                servers: 2
                ports: [8000]
                env: { DB_HOST: "${tiers.db.servers[0].address}" }
                health: { http: /, interval: 500ms, timeout: 450ms, healthyAfter: 1, grace: 30s }
            """);

        var up = await strata.UpAsync(spec, Deployment);

        Assert.True(up.ExitCode == 0, up.ToString());
        var events = await EventsAsync(strata);
        var log = string.Join('\n', events.Select(e => $"{e.GetProperty("kind")} {e.GetProperty("message")}"));
        Assert.True(events.Count(e => Kind(e) == "server.error") == 0, log);
        Assert.True(events.Count(e => Kind(e) == "server.state" && Message(e).Contains("terminated", StringComparison.Ordinal)) == 0, log);
        Assert.True(events.Count(e => Kind(e) == "tier.waiting" && e.GetProperty("resource").GetString() == "tiers.web") == 1, log);
        var servers = HelloEndToEndTests.Servers(await strata.StatusAsync(Deployment));
        var db = servers.Single(s => s.Tier == "db");
        foreach (var web in servers.Where(s => s.Tier == "web"))
        {
            var logs = await strata.RunAsync(TimeSpan.FromSeconds(30), "logs", Deployment, web.Name);
            Assert.Contains($"DB_HOST={db.Address}", logs.Out, StringComparison.Ordinal);
        }
    }

    private static string Kind(JsonElement e) => e.GetProperty("kind").GetString()!;

    private static string Message(JsonElement e) => e.GetProperty("message").GetString()!;

    private static async Task<List<JsonElement>> EventsAsync(StrataRunner strata)
    {
        var result = await strata.RunAsync(TimeSpan.FromSeconds(30), "events", Deployment, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }
}
