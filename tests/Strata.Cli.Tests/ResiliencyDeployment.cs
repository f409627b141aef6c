using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// One web tier of a small standard-library Python app behind a load balancer (the built-in one unless a driver is
/// named), written into a runner's folder, for the recovery, autoscaling and rollout tests. The app answers <c>/</c>
/// with "VERSION NAME", checks health on <c>/healthz</c> and burns CPU on <c>/burn?ms=N</c>; a <c>mode.txt</c> of
/// <c>exit</c> makes a version that exits at once, <c>unhealthy</c> one whose health check always fails.
/// <see cref="ResiliencyApp.CloseAfterResponse"/> runs the hello example's kind of app instead.
/// </summary>
/// <remarks>
/// The app writes each response (head and body) with one send, so that a <c>kill -9</c> under load lands before a
/// response (the load balancer retries the request elsewhere) or after it, never between head and body: a response
/// cut half-way is one a server did answer, which no load balancer can complete. Its accept queue holds 128
/// connections instead of Python's 5, so a loaded machine drops no connection attempt (a dropped SYN costs a
/// one-second retransmission, which a load generator may count as a timeout).
/// Its health check allows 400 ms per answer, three failures in a row: these tests run the app under wrk, with CPU
/// burnt on purpose, on two cores that other tests share. With 150 ms and two failures, a new server of a rollout
/// whose answers queued behind the load for two probes in a row was rightly found unhealthy, and the deployment was
/// rolled back in the middle of a test about something else (seen at a load average of 19). Its grace is 15 s: three
/// new servers, whose Python had not yet bound its port 5 s after launch at a load average of 40, failed the first
/// `up` of a test about killing servers; the version that never becomes healthy waits that much longer to fail.
/// </remarks>
public sealed class ResiliencyDeployment
{
    public const string Name = "res";

    private const string App = """
        import http.server, os, signal, sys, time
        host, port = sys.argv[1].rsplit(":", 1)
        name = os.environ["STRATA_SERVER_NAME"]
        version = open("version.txt").read().strip()
        mode = open("mode.txt").read().strip() if os.path.exists("mode.txt") else "ok"
        if mode == "exit":
            print("version " + version + " refuses to start", file=sys.stderr)
            sys.exit(3)
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                path, _, query = self.path.partition("?")
                status, body = 200, version + " " + name
                if path == "/healthz" and mode == "unhealthy":
                    status, body = 500, "broken"
                elif path == "/burn":
                    end = time.perf_counter() + int(query.partition("ms=")[2] or "10") / 1000
                    while time.perf_counter() < end:
                        pass
                data = body.encode()
                self.wfile.write(b"HTTP/1.1 %d %s\r\nContent-Length: %d\r\n\r\n" % (status, b"OK" if status == 200 else b"Error", len(data)) + data)
            def log_message(self, *args):
                pass
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        http.server.ThreadingHTTPServer.request_queue_size = 128
        http.server.ThreadingHTTPServer((host, int(port)), Handler).serve_forever()
        """;

    // Python's http.server as the hello example uses it, defaults kept: HTTP/1.0, each connection closed after its
    // response, headers and body written separately, a listen backlog of 5. Only the request log is silenced.
    private const string CloseAfterResponseApp = """
        import http.server, os, signal, sys
        host, port = sys.argv[1].rsplit(":", 1)
        name = os.environ["STRATA_SERVER_NAME"]
        version = open("version.txt").read().strip()
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                data = (version + " " + name).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def log_message(self, *args):
                pass
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
        server.daemon_threads = True
        server.serve_forever()
        """;

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly StrataRunner _strata;

    /// <param name="driver">The load balancer's <c>driver</c>: <c>builtin</c> (the default) or <c>haproxy</c>.</param>
    /// <param name="app">Which app the tier runs; the keep-alive one by default.</param>
    public ResiliencyDeployment(
        StrataRunner strata, string servers, string tierExtra = "", string driver = "builtin", ResiliencyApp app = ResiliencyApp.KeepAlive)
    {
        _strata = strata;
        LoadBalancer = LoopbackPorts.Reserve();
        strata.Home.WriteFile("res/app/app.py", app == ResiliencyApp.CloseAfterResponse ? CloseAfterResponseApp : App);
        SetVersion("v1");
        SpecPath = strata.Home.WriteFile("res/strata.yaml", $$"""
            deployment: {{Name}}
            images:
              app: { from: ./app, run: "exec python3 app.py ${self.address}:8000" }
            tiers:
              web:
                image: app
                servers: {{servers}}
                ports: [8000]
                health: { http: /healthz, interval: 500ms, timeout: 400ms, healthyAfter: 1, unhealthyAfter: 3, grace: 15s }
            {{Indent(tierExtra)}}
            loadBalancers:
              front: { listen: "{{LoadBalancer}}", to: "web:8000", driver: {{driver}} }
            """);
    }

    public LoopbackEndpoint LoadBalancer { get; }

    public string Url => $"{LoadBalancer.Url}/";

    public string SpecPath { get; }

    private static string Indent(string lines) =>
        string.Join('\n', lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "    " + l));

    /// <summary>Changes the app's files, which makes a new image: the version it answers with and how it behaves.</summary>
    public void SetVersion(string version, string mode = "ok")
    {
        _strata.Home.WriteFile("res/app/version.txt", version);
        _strata.Home.WriteFile("res/app/mode.txt", mode);
    }

    public Task<CliResult> UpAsync() => _strata.UpAsync(SpecPath, Name);

    public Task<JsonElement> StatusAsync() => _strata.StatusAsync(Name);

    public async Task<List<HelloEndToEndTests.ServerRow>> ServersAsync() => HelloEndToEndTests.Servers(await StatusAsync());

    public static JsonElement Tier(JsonElement status) => status.GetProperty("tiers").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "web");

    public static List<string> Members(JsonElement status) =>
        [.. status.GetProperty("loadBalancers")[0].GetProperty("members").EnumerateArray().Select(m => m.GetString()!)];

    /// <summary>Every event of the deployment, oldest first, as <c>strata events --json</c> prints them (one object a line).</summary>
    public async Task<List<JsonElement>> EventsAsync()
    {
        var result = await _strata.RunAsync(TimeSpan.FromSeconds(30), "events", Name, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    /// <summary>
    /// Waits for a condition on the deployment; on timeout the failure carries its status and events, which are what
    /// tell a scaling or rollout problem apart from a slow machine.
    /// </summary>
    public async Task WaitAsync(Func<JsonElement, bool> condition, string what, TimeSpan? timeout = null)
    {
        try
        {
            await Eventually.WaitAsync(async () => condition(await StatusAsync()), what, timeout);
        }
        catch (TimeoutException ex)
        {
            var events = string.Join('\n', (await EventsAsync()).Select(e => $"{e.GetProperty("time")} {e.GetProperty("kind")} {e.GetProperty("message")}"));
            throw new TimeoutException($"{ex.Message}\n--- status\n{await StatusAsync()}\n--- events\n{events}", ex);
        }
    }

    /// <summary>Answers of <paramref name="count"/> GETs through the load balancer, each "VERSION NAME".</summary>
    public async Task<List<string>> AnswersAsync(int count)
    {
        var answers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            answers.Add((await s_http.GetStringAsync(Url)).Trim());
        }

        return answers;
    }

    /// <summary>Waits until the load balancer has measured traffic, which shows a load generator's requests flow.</summary>
    public Task WaitForTrafficAsync() => Eventually.WaitAsync(async () =>
    {
        var lb = (await StatusAsync()).GetProperty("loadBalancers")[0];
        return lb.TryGetProperty("traffic", out var traffic) && traffic.ValueKind == JsonValueKind.Object
            && traffic.GetProperty("requestsPerSecond").GetDouble() > 0;
    }, "the load balancer to measure the load");

    /// <summary>
    /// The last lines of the load balancer's own log (<c>proxy.log</c> or <c>haproxy.log</c> under
    /// <c>$STRATA_HOME/loadbalancers</c>), for a failure message: it says why a request failed on the way to a server.
    /// </summary>
    public string LoadBalancerLogTail(int lines = 60)
    {
        var root = _strata.Home.Combine("loadbalancers");
        var logs = Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "*.log", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) is "proxy.log" or "haproxy.log").ToList()
            : [];
        return logs.Count == 0
            ? $"(no load balancer log under {root})"
            : string.Join('\n', logs.Select(f => $"--- {Path.GetRelativePath(_strata.Home.Path, f)}\n{string.Join('\n', File.ReadLines(f).TakeLast(lines))}"));
    }

    /// <summary><c>kill -9</c> of a server's whole process group, as a crash of the machine it runs on would end it.</summary>
    public static async Task KillProcessGroupAsync(int pid) =>
        Assert.True(await TryKillProcessGroupAsync(pid), $"server process {pid.ToString(CultureInfo.InvariantCulture)} was gone before it could be killed");

    /// <summary>
    /// <c>kill -9</c>s the process group of a server process and waits until it is gone; false when the process was
    /// already gone (the control plane may have replaced the server since its pid was read).
    /// </summary>
    public static async Task<bool> TryKillProcessGroupAsync(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        var group = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2];
        var start = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in new[] { "-KILL", "--", "-" + group })
        {
            start.ArgumentList.Add(arg);
        }

        using var kill = Process.Start(start)!;
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        if (kill.ExitCode != 0 && !StrataRunner.IsAlive(pid))
        {
            return false;
        }

        Assert.True(kill.ExitCode == 0, $"kill -KILL -- -{group} (server pid {pid.ToString(CultureInfo.InvariantCulture)}) failed: {await kill.StandardError.ReadToEndAsync()}");
        await Eventually.WaitAsync(() => !StrataRunner.IsAlive(pid), $"server process {pid} to die");
        return true;
    }
}

/// <summary>The app a <see cref="ResiliencyDeployment"/> runs.</summary>
public enum ResiliencyApp
{
    /// <summary>HTTP/1.1 with keep-alive, a listen backlog of 128 and one send per response: the recovery tests' app.</summary>
    KeepAlive,

    /// <summary>
    /// Python's <c>http.server</c> with its defaults, as in the hello example: HTTP/1.0, every connection closed after
    /// one response, a listen backlog of 5. It ignores <c>mode.txt</c>.
    /// </summary>
    CloseAfterResponse,
}
