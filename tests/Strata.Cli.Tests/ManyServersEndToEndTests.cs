using System.Diagnostics;
using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// A hundred servers of a cheap app on one machine: <c>up</c> converges with no server replaced, failed or orphaned,
/// also while a CPU hog keeps every core busy (health probes time out under such load unless the control plane tells
/// its own lateness from the server's, and replacing the servers that seem slow only adds load).
/// </summary>
[Trait("kind", "e2e")]
public sealed class ManyServersEndToEndTests
{
    private const int Servers = 100;
    private const string Deployment = "many";

    [Fact]
    public Task Up_HundredServers_ConvergesWithoutReplacements() => UpAndCheckAsync(hog: false);

    [Fact]
    public Task Up_HundredServersWhileCpuHogRuns_ConvergesWithoutReplacements() => UpAndCheckAsync(hog: true);

    private static async Task UpAndCheckAsync(bool hog)
    {
        await using var strata = new StrataRunner();
        var spec = WriteSpec(strata);
        using var stress = hog ? StartCpuHog() : null;
        try
        {
            var up = await strata.RunAsync(TimeSpan.FromMinutes(5), "up", spec, "--listen", strata.Listen, "--timeout", "4m");
            var events = await EventsAsync(strata);
            Assert.True(up.ExitCode == 0, $"{up}\n--- events\n{Describe(events)}");
            Assert.Equal(Servers, Count(events, "server.state", " is in service"));
            Assert.True(Count(events, "server.state", " terminated") == 0, Describe(events));
            Assert.True(Count(events, "server.failed", "") == 0, Describe(events));
            Assert.True(Count(events, "server.orphan", "") == 0, Describe(events));
        }
        finally
        {
            if (stress is { HasExited: false })
            {
                stress.Kill(entireProcessTree: true);
            }
        }
    }

    private static string WriteSpec(StrataRunner strata)
    {
        var front = LoopbackPorts.Reserve();
        var folder = strata.Home.Combine("specs", Deployment);
        Directory.CreateDirectory(Path.Combine(folder, "app"));
        File.Copy(Path.Combine(StrataRunner.RepositoryRoot(), "bench", "up", "app", "app.py"), Path.Combine(folder, "app", "app.py"));
        var spec = Path.Combine(folder, "strata.yaml");
        File.WriteAllText(spec, $$"""
            deployment: {{Deployment}}
            images:
              app: { from: ./app, run: "exec python3 app.py" }
            tiers:
              web:
                image: app
                servers: {{Servers}}
                ports: { http: 8000 }
                health: { http: /, interval: 1s, timeout: 500ms, healthyAfter: 2, unhealthyAfter: 3 }
            loadBalancers:
              front: { listen: "{{front}}", to: web:http }
            """);
        return spec;
    }

    /// <summary>stress-ng on every core for at most as long as the test may take.</summary>
    private static Process StartCpuHog()
    {
        var start = new ProcessStartInfo("stress-ng") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--cpu", $"{Environment.ProcessorCount}", "--timeout", "330s", "--quiet" })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("stress-ng did not start");
    }

    private static async Task<List<JsonElement>> EventsAsync(StrataRunner strata)
    {
        var result = await strata.RunAsync(TimeSpan.FromSeconds(60), "events", Deployment, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    /// <summary>How many servers have an event of <paramref name="kind"/> whose message contains <paramref name="part"/>.</summary>
    private static int Count(List<JsonElement> events, string kind, string part) =>
        events.Where(e => e.GetProperty("kind").GetString() == kind && e.GetProperty("message").GetString()!.Contains(part, StringComparison.Ordinal))
            .Select(e => e.TryGetProperty("resource", out var resource) ? resource.GetString() : null)
            .Distinct()
            .Count();

    private static string Describe(List<JsonElement> events) =>
        string.Join('\n', events.Where(e => e.GetProperty("kind").GetString() != "loadbalancer.members")
            .Select(e => $"{e.GetProperty("time")} {e.GetProperty("kind")} {e.GetProperty("message")}"));
}
