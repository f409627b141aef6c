using System.Diagnostics;
using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// A stateful tier whose volume holds data only one server may use at a time, as a database's does: a worker in a
/// session of its own keeps a lock on the volume. Whatever happens to the server (killed, replaced, the control plane
/// killed mid-replacement), the data goes to its replacement and no two servers ever hold the volume.
/// </summary>
[Trait("kind", "e2e")]
public sealed class VolumeHandOverEndToEndTests
{
    private const string Deployment = "vault";

    // The lock is held by a worker that leaves the server's session and marker (as PostgreSQL's workers do) and
    // works in the volume; a second server on the same volume refuses to start.
    private const string Run = """
        set -eu
        vol="$STRATA_VOLUME_DATA"
        [ -s "$vol/born" ] || echo "$STRATA_SERVER_NAME" > "$vol/born"
        if ! flock -n "$vol/lock" true; then
          echo "the volume is in use by another server"
          exit 1
        fi
        (cd "$vol" && exec env -u STRATA_MARKER setsid flock lock sleep 100000) &
        echo "volume holds data of $(cat "$vol/born")"
        exec sleep 100000
        """;

    // The first stop takes long enough for the control plane to be killed in the middle of it.
    private const string Stop = """
        if [ ! -e stopped-once ]; then touch stopped-once; sleep 30; fi
        """;

    [Fact]
    public async Task MainProcessKilled_ChildHoldsVolume_ReplacementGetsVolumeOnFirstLaunch()
    {
        await using var strata = new StrataRunner();
        var spec = WriteSpec(strata);
        var up = await strata.UpAsync(spec, Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var first = SingleServerTier.Single(await strata.StatusAsync(Deployment));

        Process.GetProcessById(first.Pid).Kill();
        var replacement = await SingleServerTier.WaitForReplacementAsync(strata, Deployment, first.Name);

        var failures = (await EventsAsync(strata)).Where(e => e.GetProperty("kind").GetString() == "server.failed").ToList();
        Assert.True(failures.Count == 1, string.Join('\n', failures));
        Assert.Contains($"volume holds data of {first.Name}", await SingleServerTier.LogAsync(strata, Deployment, replacement.Name), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlPlaneKilledDuringReplacement_Restart_VolumeSurvivesAndGoesToReplacement()
    {
        await using var strata = new StrataRunner();
        var spec = WriteSpec(strata);
        var up = await strata.UpAsync(spec, Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var first = SingleServerTier.Single(await strata.StatusAsync(Deployment));

        WriteSpec(strata, generation: 2);
        var rolling = await strata.UpAsync(spec, Deployment, "--no-wait");
        Assert.True(rolling.ExitCode == 0, rolling.ToString());
        await Eventually.WaitAsync(async () => HelloEndToEndTests.Servers(await strata.StatusAsync(Deployment)).Any(s => s.Name == first.Name && s.State == "terminating"),
            "the first server to be terminating for its replacement");
        var pid = await strata.ControlPlanePidAsync();
        Process.GetProcessById(pid).Kill();
        await Eventually.WaitAsync(() => !StrataRunner.IsAlive(pid), "the control plane to die mid-replacement");

        var start = await strata.RunAsync(TimeSpan.FromMinutes(1), "server", "start", "--listen", strata.Listen);
        Assert.True(start.ExitCode == 0, start.ToString());
        var replacement = await SingleServerTier.WaitForReplacementAsync(strata, Deployment, first.Name);

        Assert.Contains($"volume holds data of {first.Name}", await SingleServerTier.LogAsync(strata, Deployment, replacement.Name), StringComparison.Ordinal);
        var volumes = Directory.GetDirectories(strata.Home.Combine("local", "volumes"));
        Assert.True(volumes.Length == 1, $"one volume expected, found: {string.Join(", ", volumes)}");
        Assert.Equal($"{first.Name}\n", File.ReadAllText(Path.Combine(volumes[0], "data", "born")));
    }

    [Fact]
    public async Task UpdateWithTheDefaultPolicy_EachReplacementStartsOnTheVolumeOfTheServerItReplaces()
    {
        await using var strata = new StrataRunner();
        var spec = WriteSpec(strata, servers: 2, policy: "", slowFirstStop: false);
        var up = await strata.UpAsync(spec, Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var first = HelloEndToEndTests.Servers(await strata.StatusAsync(Deployment)).Select(s => s.Name).Order(StringComparer.Ordinal).ToList();

        WriteSpec(strata, generation: 2, servers: 2, policy: "", slowFirstStop: false);
        var plan = await strata.RunAsync(TimeSpan.FromSeconds(30), "plan", spec);
        Assert.Contains("rolling replacement of 2 servers, in place: each stops before its replacement starts on its volumes", plan.Out, StringComparison.Ordinal);
        var update = await strata.UpAsync(spec, Deployment);
        Assert.True(update.ExitCode == 0, update.ToString());

        // A surge would have started each new server beside the old one, on a new and empty volume.
        var now = HelloEndToEndTests.Servers(await strata.StatusAsync(Deployment));
        Assert.True(now.Count == 2 && now.All(s => s.State == "inService" && !first.Contains(s.Name)), string.Join(", ", now));
        var born = new List<string>();
        foreach (var server in now)
        {
            var log = await SingleServerTier.LogAsync(strata, Deployment, server.Name);
            born.Add(first.Single(old => log.Contains($"volume holds data of {old}", StringComparison.Ordinal)));
        }

        Assert.Equal(first, born.Order(StringComparer.Ordinal).ToList());
        Assert.Equal(2, Directory.GetDirectories(strata.Home.Combine("local", "volumes")).Length);
        var failures = (await EventsAsync(strata)).Where(e => e.GetProperty("kind").GetString() == "server.failed").ToList();
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>Writes the spec; another <paramref name="generation"/> changes the launch settings, so servers are replaced.</summary>
    /// <param name="policy">The tier's update policy line; empty for the default.</param>
    /// <param name="slowFirstStop">Whether a server's first stop takes 30 s (<see cref="Stop"/>).</param>
    private static string WriteSpec(
        StrataRunner strata, int generation = 1, int servers = 1, string policy = "update: { maxSurge: 0, maxUnavailable: 1 }", bool slowFirstStop = true)
    {
        strata.Home.WriteFile("vault/app/run.sh", Run);
        strata.Home.WriteFile("vault/app/stop.sh", slowFirstStop ? Stop : "true");
        return strata.Home.WriteFile("vault/strata.yaml", $$"""
            deployment: vault
            images:
              app:
                from: ./app
                run: sh run.sh
                hooks: { stop: sh stop.sh }
            tiers:
              store:
                image: app
                servers: {{servers}}
                env: { GENERATION: "{{generation}}" }
                volumes:
                  data: { size: 16MiB, mount: data }
                recoveryDelay: 1s
                {{policy}}
            """);
    }

    private static async Task<List<JsonElement>> EventsAsync(StrataRunner strata)
    {
        var result = await strata.RunAsync(TimeSpan.FromSeconds(30), "events", Deployment, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }
}
