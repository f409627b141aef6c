using System.Text.Json;
using Strata.Testing;
using Xunit.Abstractions;

namespace Strata.Cli.Tests;

/// <summary>
/// The machine went down: the control plane, every server and every load balancer were killed. The next command
/// starts the control plane, which relaunches the servers on their volumes; <c>strata server install</c> gives a
/// service manager the command that does the same at boot.
/// </summary>
[Trait("kind", "e2e")]
public sealed class RestartEndToEndTests(ITestOutputHelper output)
{
    private const string App = """
        import http.server, os, sys
        host, port = sys.argv[1].rsplit(":", 1)
        born = os.path.join(os.environ["STRATA_VOLUME_DATA"], "born")
        if not os.path.exists(born):
            with open(born, "w") as f:
                f.write(os.environ["STRATA_SERVER_NAME"])
        first = open(born).read()
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                data = (first + " " + os.environ["STRATA_SERVER_NAME"]).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer((host, int(port)), Handler).serve_forever()
        """;

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task EveryProcessKilled_NextStatus_StartsTheControlPlaneAndServersComeBackOnTheirVolumes()
    {
        await using var strata = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var spec = WriteSpec(strata, front);
        var up = await strata.UpAsync(spec, "boot");
        Assert.True(up.ExitCode == 0, up.ToString());
        var before = Assert.Single(HelloEndToEndTests.Servers(await strata.StatusAsync("boot")));
        var answer = (await AnswerAsync(front)).Split(' ');

        // The volume keeps the name of the server it was first attached to. On a loaded machine the first server may
        // already have failed its 150 ms health check and been replaced, its replacement taking over the volume: the
        // server answering is the one in the status, the volume's name is whichever it recorded.
        Assert.True(answer[1] == before.Name, $"answered by {answer[1]}, not by {before.Name}; events:\n{(await strata.RunAsync(TimeSpan.FromSeconds(30), "events", "boot")).Out}");
        var bornOn = answer[0];
        if (bornOn != before.Name)
        {
            output.WriteLine($"{bornOn} was replaced before the test began; events:\n{(await strata.RunAsync(TimeSpan.FromSeconds(30), "events", "boot")).Out}");
        }

        await KillEverythingAsync(strata);
        var status = await strata.RunAsync(TimeSpan.FromMinutes(1), "status", "boot", "--json");

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("started the control plane", status.Error);
        await Eventually.WaitAsync(async () => await TryAnswerAsync(front) is { } answer && answer.StartsWith(bornOn + " ", StringComparison.Ordinal),
            "the load balancer to answer again from a server on the first server's volume", TimeSpan.FromSeconds(90));
        var after = Assert.Single(HelloEndToEndTests.Servers(await strata.StatusAsync("boot")));
        Assert.Equal("inService", after.State);
        Assert.NotEqual(before.Pid, after.Pid);
        Assert.True(StrataRunner.IsAlive(after.Pid), $"{after.Name} pid {after.Pid} is not running");
    }

    [Fact]
    public async Task EveryProcessKilled_DownScaleLogsAndEvents_StartTheControlPlaneInsteadOfExitingThree()
    {
        await using var strata = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var up = await strata.UpAsync(WriteSpec(strata, front), "boot");
        Assert.True(up.ExitCode == 0, up.ToString());

        foreach (var command in new[] { "events", "logs", "scale", "down" })
        {
            await Eventually.WaitAsync(async () => HelloEndToEndTests.Servers(await strata.StatusAsync("boot")) is [{ State: "inService" }],
                "one server in service", TimeSpan.FromSeconds(90));
            var server = Assert.Single(HelloEndToEndTests.Servers(await strata.StatusAsync("boot")));
            string[] args = command switch
            {
                "logs" => ["logs", "boot", server.Name],
                "scale" => ["scale", "boot", "web", "1", "--no-wait"],
                "down" => ["down", "boot", "--yes"],
                _ => ["events", "boot"],
            };
            // The server whose log is asked for must outlive the kill: a new control plane replaces a killed server,
            // and may do so before it answers, after which the old name rightly no longer exists.
            await (command == "logs" ? KillControlPlaneAsync(strata) : KillEverythingAsync(strata));
            var result = await strata.RunAsync(TimeSpan.FromMinutes(2), args);
            Assert.True(result.ExitCode == 0, $"strata {string.Join(' ', args)}: {result}");
            Assert.Contains("started the control plane", result.Error);
        }

        var gone = await strata.RunAsync(TimeSpan.FromSeconds(30), "status", "boot");
        Assert.Equal(ExitCodes.NotFound, gone.ExitCode);
    }

    [Fact]
    public async Task ServerStop_EventsFollowed_ControlPlaneExitsAndTheFollowerEndsCleanly()
    {
        await using var strata = new StrataRunner();
        var up = await strata.UpAsync(WriteSpec(strata, LoopbackPorts.Reserve()), "boot");
        Assert.True(up.ExitCode == 0, up.ToString());
        var pid = await strata.ControlPlanePidAsync();
        using var follow = strata.Start("events", "boot", "--follow");
        var first = await follow.StandardOutput.ReadLineAsync().WithTimeout();
        Assert.False(string.IsNullOrEmpty(first), "events --follow printed nothing");
        var followErrors = follow.StandardError.ReadToEndAsync();
        _ = follow.StandardOutput.ReadToEndAsync();

        var stop = await strata.RunAsync(StrataRunner.ServerStopTimeout, "server", "stop");

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.False(StrataRunner.IsAlive(pid), $"the control plane (pid {pid}) still runs after `server stop` said it stopped");
        await follow.WaitForExitAsync().WithTimeout();
        Assert.True(follow.ExitCode == 0, $"events --follow exited {follow.ExitCode}: {await followErrors}");
    }

    [Fact]
    public async Task ServerInstall_Print_UnitWhoseExecStartRunsThisHomesControlPlaneOnItsAddress()
    {
        await using var strata = new StrataRunner();
        var start = await strata.RunAsync(TimeSpan.FromMinutes(1), "server", "start", "--listen", strata.Listen);
        Assert.True(start.ExitCode == 0, start.ToString());
        var stop = await strata.RunAsync(StrataRunner.ServerStopTimeout, "server", "stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());

        var install = await strata.RunAsync(TimeSpan.FromSeconds(30), "server", "install", "--print");

        Assert.True(install.ExitCode == 0, install.ToString());
        var lines = install.Out.Split('\n');
        Assert.Contains($"Environment=STRATA_HOME={strata.Home.Path}", lines);
        Assert.Contains("KillMode=process", lines);
        Assert.Contains("WantedBy=default.target", lines);
        var exec = Assert.Single(lines, l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..].Split(' ');
        Assert.Equal(["server", "--listen", strata.Listen], exec[^3..]);

        // Run the unit as a service manager would: its command, with its environment only.
        var environment = lines.Where(l => l.StartsWith("Environment=", StringComparison.Ordinal)).Select(l => l["Environment=".Length..].Split('=', 2)).ToList();
        using var service = StartService(exec, environment, strata.Home.Path);
        try
        {
            await Eventually.WaitAsync(async () => (await strata.RunAsync(TimeSpan.FromSeconds(30), "server", "status", "--json")) is { ExitCode: 0 } status
                    && JsonDocument.Parse(status.Out).RootElement.GetProperty("pid").GetInt32() == service.Id,
                "the unit's command to serve this home", TimeSpan.FromSeconds(60));
        }
        finally
        {
            service.Kill();
            await service.WaitForExitAsync().WithTimeout();
        }
    }

    private static System.Diagnostics.Process StartService(string[] exec, List<string[]> environment, string workingDirectory)
    {
        var start = new System.Diagnostics.ProcessStartInfo(exec[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var arg in exec[1..])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH");
        foreach (var pair in environment)
        {
            start.Environment[pair[0]] = pair[1];
        }

        var process = System.Diagnostics.Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string WriteSpec(StrataRunner strata, LoopbackEndpoint front)
    {
        strata.Home.WriteFile("boot/app/app.py", App);
        return strata.Home.WriteFile("boot/strata.yaml", $$"""
            deployment: boot
            images:
              app: { from: ./app, run: "exec python3 app.py ${self.address}:8000" }
            tiers:
              web:
                image: app
                servers: 1
                ports: [8000]
                volumes: { data: { size: 16MiB } }
                health: { http: /, interval: 500ms, timeout: 450ms, healthyAfter: 1, unhealthyAfter: 2 }
            loadBalancers:
              front: { listen: "{{front}}", to: "web:8000" }
            """);
    }

    /// <summary>What a power cut does: the control plane, the servers and the load balancers die at once, with no clean-up.</summary>
    private static async Task KillEverythingAsync(StrataRunner strata)
    {
        await KillControlPlaneAsync(strata);
        strata.KillLeftovers();
    }

    /// <summary>The control plane dies with no clean-up; its servers and load balancers keep running.</summary>
    private static async Task KillControlPlaneAsync(StrataRunner strata)
    {
        if (File.Exists(Path.Combine(strata.Home.Path, "server.json")))
        {
            var pid = JsonDocument.Parse(File.ReadAllText(Path.Combine(strata.Home.Path, "server.json"))).RootElement.GetProperty("pid").GetInt32();
            if (StrataRunner.IsAlive(pid))
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
                await Eventually.WaitAsync(() => !StrataRunner.IsAlive(pid), "the control plane to die");
            }
        }
    }

    private static async Task<string> AnswerAsync(LoopbackEndpoint front) =>
        await s_http.GetStringAsync($"{front.Url}/").WithTimeout();

    private static async Task<string?> TryAnswerAsync(LoopbackEndpoint front)
    {
        try
        {
            return await AnswerAsync(front);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
