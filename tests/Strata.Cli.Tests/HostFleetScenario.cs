using System.Runtime.CompilerServices;
using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// The setup the end-to-end tests of hosts share: real sshd hosts h1…hN on loopback addresses of a held block, in
/// zones a, b, c, a, … in turn, a control plane started over them with every host added through <c>strata host add</c>,
/// and <c>examples/hello</c> in front of them. Disposing it deletes the deployment, stops the control plane and the hosts.
/// </summary>
internal sealed class HostFleetScenario : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private static readonly string[] s_zones = ["a", "b", "c"];

    private readonly LoopbackBlock _block;

    private HostFleetScenario(LoopbackBlock block, string testFile, string testMethod)
    {
        _block = block;
        Front = LoopbackPorts.Reserve();
        Strata = new StrataRunner(testFile, testMethod);
    }

    /// <summary>
    /// A script that prints <c>Strata.Agent</c> when a host's agent is an ancestor of the process that runs it (else
    /// <c>not the agent</c>): a hook or check written to a server's image proves with it where it was run.
    /// </summary>
    public const string AgentAncestorScript = """
        p=$PPID
        for i in 1 2 3 4 5 6; do
          if tr '\0' ' ' < /proc/$p/cmdline | grep -q Strata.Agent; then echo Strata.Agent; exit 0; fi
          p=$(cut -d' ' -f4 /proc/$p/stat)
        done
        echo "not the agent"
        """;

    public StrataRunner Strata { get; }

    public List<SshdHost> Hosts { get; } = [];

    /// <summary>Where hello's load balancer listens.</summary>
    public LoopbackEndpoint Front { get; }

    /// <param name="serverOptions">More options of <c>strata server start</c> (host timings).</param>
    /// <param name="regions">The region of each host in turn, when hosts have one.</param>
    public static async Task<HostFleetScenario> StartAsync(
        int hosts, string[]? serverOptions = null, string[]? regions = null, [CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "")
    {
        var scenario = new HostFleetScenario(LoopbackBlocks.Acquire(), testFile, testMethod);
        try
        {
            for (var i = 1; i <= hosts; i++)
            {
                scenario.Hosts.Add(await SshdHost.StartAsync(scenario._block, i));
            }

            var started = await scenario.Strata.RunAsync(Timeout, ["server", "start", "--listen", scenario.Strata.Listen, .. serverOptions ?? []]);
            Assert.True(started.ExitCode == 0, started.ToString());
            await scenario.AddHostsAsync(regions);
            return scenario;
        }
        catch
        {
            await scenario.DisposeAsync();
            throw;
        }
    }

    /// <summary>Copies <c>examples/hello</c> with its load balancer on <see cref="Front"/> and the given replacements.</summary>
    public string HelloSpec(IReadOnlyDictionary<string, string>? replacements = null)
    {
        var all = new Dictionary<string, string> { ["127.0.0.1:8080"] = $"{Front}", ["front:8080"] = $"front:{Front.Port}" };
        foreach (var (from, to) in replacements ?? new Dictionary<string, string>())
        {
            all[from] = to;
        }

        return Strata.CopyExample("hello", all);
    }

    /// <summary>hello's spec without its health check: nothing but a host's state can then tell its servers are gone.</summary>
    public string HelloSpecWithoutHealthCheck()
    {
        var spec = HelloSpec(new Dictionary<string, string>
        {
            ["    health:\n      http: /healthz\n      interval: 1s\n      timeout: 500ms\n      healthyAfter: 2\n      unhealthyAfter: 3\n"] = "",
        });
        Assert.DoesNotContain("health:", File.ReadAllText(spec));
        return spec;
    }

    public string ZoneOf(string address) => s_zones[Hosts.FindIndex(h => h.Address == address) % 3];

    /// <summary>Each host's state and server count, as <c>strata hosts --json</c> lists them.</summary>
    public async Task<Dictionary<string, (string State, int Servers)>> HostsAsync()
    {
        var hosts = await Strata.RunAsync(Timeout, "hosts", "--json");
        Assert.True(hosts.ExitCode == 0, hosts.ToString());
        return JsonDocument.Parse(hosts.Out).RootElement.EnumerateArray().ToDictionary(
            h => h.GetProperty("name").GetString()!, h => (h.GetProperty("state").GetString()!, h.GetProperty("servers").GetInt32()));
    }

    /// <summary>
    /// The servers in service, once the load balancer's rotation holds exactly them, else none. A server is in service
    /// when its own check passes and joins the rotation a moment later (the load balancer's check, then a pass), so a
    /// test that sends requests right after a replacement comes into service must wait for this instead.
    /// </summary>
    public static List<(string Name, string Zone, string Address)> Serving(JsonElement status)
    {
        var servers = InService(status);
        return Members(status).Order().SequenceEqual(servers.Select(s => s.Name).Order()) ? servers : [];
    }

    /// <summary>The servers in the rotation of the deployment's one load balancer.</summary>
    public static List<string> Members(JsonElement status) =>
        [.. status.GetProperty("loadBalancers").EnumerateArray().Single().GetProperty("members").EnumerateArray().Select(m => m.GetString()!)];

    public static List<(string Name, string Zone, string Address)> InService(JsonElement status) =>
        [.. status.GetProperty("servers").EnumerateArray().Where(s => s.GetProperty("state").GetString() == "inService")
            .Select(s => (s.GetProperty("name").GetString()!, s.GetProperty("zone").GetString()!, s.GetProperty("address").GetString()!))];

    public async ValueTask DisposeAsync()
    {
        await Strata.DisposeAsync();
        Hosts.ForEach(h => h.Dispose());
        _block.Dispose();
    }

    private async Task AddHostsAsync(string[]? regions)
    {
        for (var i = 0; i < Hosts.Count; i++)
        {
            var name = $"h{i + 1}";
            string[] region = regions is null ? [] : ["--region", regions[i]];
            var added = await Strata.RunAsync(Timeout, [
                "host", "add", name, "--ssh", Hosts[i].SshTarget, "--identity", Hosts[i].IdentityFile, "--zone", s_zones[i % 3],
                "--agent-dir", AgentDir(name), "--agent-runtime", SshdHost.Dotnet, "--accept-new-host-key", .. region]);
            Assert.True(added.ExitCode == 0, added.ToString());
        }
    }

    public string AgentDir(string host) => Strata.Home.Combine("agents", host);
}
