using System.Text;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>The control plane killed while it launches servers: after a restart nothing is lost, leaked or duplicated.</summary>
[Trait("kind", "e2e")]
public sealed class CrashEndToEndTests
{
    [Fact]
    public async Task ControlPlaneKilledDuringLaunches_Restart_ConvergesWithoutDuplicatesOrLeaks()
    {
        await using var strata = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var spec = strata.CopyExample("hello", new Dictionary<string, string> { ["127.0.0.1:8080"] = $"{front}", ["front:8080"] = $"front:{front.Port}", ["servers: 3"] = "servers: 6" });

        var up = await strata.UpAsync(spec, "hello", "--no-wait");
        Assert.True(up.ExitCode == 0, up.ToString());
        var pid = await strata.ControlPlanePidAsync();
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        await Eventually.WaitAsync(() => !StrataRunner.IsAlive(pid), "the control plane to die mid-launch");

        var start = await strata.RunAsync(TimeSpan.FromMinutes(1), "server", "start", "--listen", strata.Listen);
        Assert.True(start.ExitCode == 0, start.ToString());
        await Eventually.WaitAsync(async () => (await strata.StatusAsync("hello")).GetProperty("phase").GetString() == "Converged",
            "the deployment to converge after the restart", TimeSpan.FromSeconds(90));

        var servers = HelloEndToEndTests.Servers(await strata.StatusAsync("hello"));
        Assert.Equal(6, servers.Count);
        Assert.Equal(6, servers.Select(s => s.Address).Distinct().Count());

        // Every server process on the machine that carries this deployment's marker is one the state knows, once.
        await Eventually.WaitAsync(() => MarkedProcesses(strata).Count == 6, "orphaned launches to be cleaned up");
        Assert.Equal(servers.Select(s => s.Name).Order(), MarkedProcesses(strata).Order());
    }

    /// <summary>Names of the server processes (process-group leaders) whose environment marks them as servers of this runner's home.</summary>
    private static List<string> MarkedProcesses(StrataRunner strata)
    {
        var names = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || fields[0] == "Z" || fields[2] != pid.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    continue;
                }

                var environment = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "environ"))).Split('\0');
                var marker = environment.FirstOrDefault(e => e.StartsWith("STRATA_MARKER=", StringComparison.Ordinal));
                var log = environment.FirstOrDefault(e => e.StartsWith("STRATA_LOG=", StringComparison.Ordinal));
                if (marker is not null && log is not null && log.Contains(strata.Home.Path, StringComparison.Ordinal) && !marker.EndsWith(":configure", StringComparison.Ordinal))
                {
                    names.Add(marker["STRATA_MARKER=".Length..]);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was read.
            }
        }

        return names;
    }
}
