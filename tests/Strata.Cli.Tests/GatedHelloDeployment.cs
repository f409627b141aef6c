using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Strata.Common.Processes;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// examples/hello with six servers whose configure hook waits at a gate the test controls: each launch takes one
/// ticket the test hands out, or passes once the gate is open. So the control plane is provably in the middle of
/// launches for as long as the test wants, and a kill lands at a chosen point instead of wherever a race puts it.
/// </summary>
public sealed class GatedHelloDeployment : IAsyncDisposable
{
    public const string Name = "hello";
    public const int ServerCount = 6;

    // The hook polls: it is the application's side of the gate, not the test's synchronisation, which waits for events.
    private const string ConfigureHook = """
        #!/bin/sh
        gate="$1"
        while :; do
          [ -e "$gate/open" ] && exit 0
          for ticket in "$gate"/ticket-*; do
            [ -e "$ticket" ] && mv "$ticket" "$gate/taken-$STRATA_SERVER_NAME-$$" 2>/dev/null && exit 0
          done
          sleep 0.05
        done
        """;

    private readonly string _gate;
    private TcpListener? _heldListenPort;
    private int _tickets;

    public GatedHelloDeployment([CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "")
    {
        Runner = new StrataRunner(testFile, testMethod);
        Front = LoopbackPorts.Reserve();
        _gate = Runner.Home.Combine("gate");
        Directory.CreateDirectory(_gate);
        var run = "    run: python3 server.py --bind ${self.address}:8000";
        var spec = Runner.CopyExample(Name, new Dictionary<string, string>
        {
            ["127.0.0.1:8080"] = $"{Front}",
            ["front:8080"] = $"front:{Front.Port}",
            ["servers: 3"] = $"servers: {ServerCount}",
            [run] = $"{run}\n    hooks: {{ configure: sh gate.sh {_gate} }}",
        });
        SpecPath = spec;
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(spec)!, "app", "gate.sh"), ConfigureHook);
    }

    public StrataRunner Runner { get; }

    public LoopbackEndpoint Front { get; }

    public string SpecPath { get; }

    /// <summary>Takes the load balancer's listen port first, so that it cannot start until <see cref="ReleaseListenPort"/>.</summary>
    public void HoldListenPort()
    {
        _heldListenPort = new TcpListener(IPAddress.Parse(Front.Address), Front.Port);
        _heldListenPort.Start();
    }

    public void ReleaseListenPort()
    {
        _heldListenPort?.Dispose();
        _heldListenPort = null;
    }

    public async Task UpWithoutWaitingAsync()
    {
        var up = await Runner.UpAsync(SpecPath, Name, "--no-wait");
        Assert.True(up.ExitCode == 0, up.ToString());
    }

    /// <summary>Lets <paramref name="launches"/> more configure hooks finish.</summary>
    public void Admit(int launches)
    {
        for (var i = 0; i < launches; i++)
        {
            File.WriteAllText(Path.Combine(_gate, string.Create(CultureInfo.InvariantCulture, $"ticket-{++_tickets}")), "");
        }
    }

    /// <summary>Lets every configure hook finish, those of relaunches after a restart included.</summary>
    public void Open() => File.WriteAllText(Path.Combine(_gate, "open"), "");

    /// <summary>Launches that took a ticket; a launch waiting at the gate has not.</summary>
    public int TicketsTaken => Directory.GetFiles(_gate, "taken-*").Length;

    public async Task<List<JsonElement>> EventsAsync()
    {
        var result = await Runner.RunAsync(TimeSpan.FromSeconds(30), "events", Name, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    /// <summary>Waits until the events satisfy <paramref name="condition"/>; on timeout the failure lists them.</summary>
    public async Task WaitForEventsAsync(Func<List<JsonElement>, bool> condition, string what)
    {
        try
        {
            await Eventually.WaitAsync(async () => condition(await EventsAsync()), what, TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n--- events\n{Describe(await EventsAsync())}", ex);
        }
    }

    /// <summary>
    /// How many resources have an event of <paramref name="kind"/> whose message contains <paramref name="messagePart"/>:
    /// a server that flaps on a loaded machine is in service twice, but counts once.
    /// </summary>
    public static int Count(List<JsonElement> events, string kind, string messagePart) =>
        events.Where(e => e.GetProperty("kind").GetString() == kind && e.GetProperty("message").GetString()!.Contains(messagePart, StringComparison.Ordinal))
            .Select(e => e.TryGetProperty("resource", out var resource) ? resource.GetString() : null)
            .Distinct()
            .Count();

    public static string Describe(List<JsonElement> events) =>
        string.Join('\n', events.Select(e => $"{e.GetProperty("time")} {e.GetProperty("kind")} {e.GetProperty("message")}"));

    /// <summary>SIGKILL for the control plane: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public async Task KillControlPlaneAsync()
    {
        var pid = await Runner.ControlPlanePidAsync();
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        await Eventually.WaitAsync(() => !StrataRunner.IsAlive(pid), "the control plane to die");
    }

    public async Task RestartControlPlaneAsync()
    {
        var start = await Runner.RunAsync(TimeSpan.FromMinutes(1), "server", "start", "--listen", Runner.Listen);
        Assert.True(start.ExitCode == 0, start.ToString());
    }

    public async Task WaitConvergedAsync()
    {
        try
        {
            await Eventually.WaitAsync(async () => (await Runner.StatusAsync(Name)).GetProperty("phase").GetString() == "Converged",
                "the deployment to converge after the restart", TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n--- status\n{await Runner.StatusAsync(Name)}\n--- events\n{Describe(await EventsAsync())}", ex);
        }
    }

    /// <summary>
    /// Process-group leaders on this machine that belong to this deployment's home, by the marker the local provider
    /// puts in their environment: servers by name, and configure hooks (marker <c>NAME:configure</c>).
    /// </summary>
    public List<string> MarkedProcesses()
    {
        var names = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || !IsLiveGroupLeader(dir, pid))
                {
                    continue;
                }

                // Read as the provider reads it: a process caught in the middle of an exec has an empty environment.
                if (ProcessEnvironment.Values(pid, "STRATA_MARKER", "STRATA_LOG") is [{ } marker, { } log]
                    && log.Contains(Runner.Home.Path, StringComparison.Ordinal))
                {
                    names.Add(marker);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was read.
            }
        }

        return names;
    }

    /// <summary>Processes whose environment names them as the built-in load balancer <paramref name="physicalName"/>.</summary>
    public static int LoadBalancerProcesses(string physicalName)
    {
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(dir), out var pid) && StrataRunner.IsAlive(pid)
                    && ProcessEnvironment.Contains(pid, "STRATA_LB_ID", physicalName))
                {
                    count++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was read.
            }
        }

        return count;
    }

    private static bool IsLiveGroupLeader(string dir, int pid)
    {
        var stat = File.ReadAllText(Path.Combine(dir, "stat"));
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields[0] != "Z" && fields[2] == pid.ToString(CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        ReleaseListenPort();
        Open();
        await Runner.DisposeAsync();
    }
}
