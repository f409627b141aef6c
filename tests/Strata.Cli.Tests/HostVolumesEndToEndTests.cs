using System.Diagnostics;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// A tier with a volume on a fleet of real sshd hosts: the volume is made on the host its server is placed on, and
/// the server's replacements go to that host, where its data is, across control-plane restarts.
/// </summary>
[Trait("kind", "e2e")]
public sealed class HostVolumesEndToEndTests
{
    private const string Deployment = "vault";

    private const string Run = """
        set -eu
        echo "$STRATA_SERVER_NAME" >> "$STRATA_VOLUME_DATA/boots"
        echo "volume holds boots of $(tr '\n' ' ' < "$STRATA_VOLUME_DATA/boots")"
        exec sleep 100000
        """;

    // The same, with 3 MB of random data written on the first boot whose digest each boot shows.
    private const string BlobRun = """
        set -eu
        [ -f "$STRATA_VOLUME_DATA/blob" ] || head -c 3000000 /dev/urandom > "$STRATA_VOLUME_DATA/blob"
        echo "$STRATA_SERVER_NAME" >> "$STRATA_VOLUME_DATA/boots"
        echo "volume holds boots of $(tr '\n' ' ' < "$STRATA_VOLUME_DATA/boots")and blob $(sha256sum < "$STRATA_VOLUME_DATA/blob" | cut -c1-16)"
        exec sleep 100000
        """;

    [Fact]
    public async Task ServerKilledBeforeAndAfterARestartOfTheControlPlane_ReplacedOnItsVolumesHostWithTheDataAndTheHostCannotBeRemoved()
    {
        await using var fleet = await HostFleetScenario.StartAsync(2);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(WriteSpec(strata), Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var first = SingleServerTier.Single(await strata.StatusAsync(Deployment));
        var host = $"h{fleet.Hosts.FindIndex(h => h.Address == first.Address) + 1}";
        var onHost = Directory.GetDirectories(Path.Combine(fleet.AgentDir(host), "engine", "volumes"));
        var local = Directory.Exists(strata.Home.Combine("local", "volumes")) ? Directory.GetDirectories(strata.Home.Combine("local", "volumes")) : [];
        // A server that reserves CPU on that host: left to placement alone, the tier's next server would go to the other.
        var filler = await strata.UpAsync(WriteFiller(strata, fleet.ZoneOf(first.Address)), "filler");
        Assert.True(filler.ExitCode == 0, filler.ToString());

        Process.GetProcessById(first.Pid).Kill();
        var second = await SingleServerTier.WaitForReplacementAsync(strata, Deployment, first.Name);
        var restart = await RestartControlPlaneAsync(strata);
        Process.GetProcessById(second.Pid).Kill();
        var third = await SingleServerTier.WaitForReplacementAsync(strata, Deployment, second.Name);
        var remove = await strata.RunAsync(HostFleetScenario.Timeout, "host", "remove", host);

        Assert.True(onHost.Length == 1, $"one volume on {host} expected, found: {string.Join(", ", onHost)}");
        Assert.Empty(local);
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.Equal([first.Address, first.Address], new[] { second.Address, third.Address });
        Assert.Contains($"volume holds boots of {first.Name} {second.Name} {third.Name}", await SingleServerTier.LogAsync(strata, Deployment, third.Name), StringComparison.Ordinal);
        Assert.True(remove.ExitCode != 0, remove.ToString());
        Assert.Contains($"host {host} keeps 1 volume: {Path.GetFileName(onHost[0])} (deployment {Deployment})", remove.Error);
    }

    [Fact]
    public async Task HostOfTheVolumeDrained_ServerMovesToTheOtherHostWithItsDataAndTheHostCanThenBeRemoved()
    {
        await using var fleet = await HostFleetScenario.StartAsync(2);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(WriteSpec(strata, run: BlobRun), Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var first = SingleServerTier.Single(await strata.StatusAsync(Deployment));
        var from = $"h{fleet.Hosts.FindIndex(h => h.Address == first.Address) + 1}";
        var to = from == "h1" ? "h2" : "h1";
        var blob = System.Text.RegularExpressions.Regex.Match(await SingleServerTier.LogAsync(strata, Deployment, first.Name), "and blob ([0-9a-f]{16})").Groups[1].Value;

        var drain = await strata.RunAsync(HostFleetScenario.Timeout * 2, "host", "drain", from);
        var moved = await SingleServerTier.WaitForReplacementAsync(strata, Deployment, first.Name);
        var volume = Assert.Single((await strata.StatusAsync(Deployment)).GetProperty("volumes").EnumerateArray()).GetProperty("name").GetString();
        var log = await SingleServerTier.LogAsync(strata, Deployment, moved.Name);
        var hosts = await fleet.HostsAsync();
        var remove = await strata.RunAsync(HostFleetScenario.Timeout, "host", "remove", from);
        var events = await strata.RunAsync(HostFleetScenario.Timeout, "events", Deployment);

        Assert.Matches("^[0-9a-f]{16}$", blob);
        Assert.True(drain.ExitCode == 0, $"{drain}\n{events.Out}");
        Assert.Contains($"{first.Name} ({Deployment}/store) stopped on {from}: its replacement starts on another host with its volumes; 1 volume to go", drain.Error, StringComparison.Ordinal);
        Assert.Contains($"volume {volume} ({Deployment}/store) left {from}: the replacement of its server starts on it elsewhere; 0 servers to go", drain.Error, StringComparison.Ordinal);
        Assert.Equal(fleet.Hosts[to == "h1" ? 0 : 1].Address, moved.Address);
        Assert.Contains($"volume holds boots of {first.Name} {moved.Name} and blob {blob}", log, StringComparison.Ordinal);
        Assert.Equal(0, hosts[from].Servers);
        Assert.Empty(Directory.GetDirectories(Path.Combine(fleet.AgentDir(from), "engine", "volumes")));
        Assert.Single(Directory.GetDirectories(Path.Combine(fleet.AgentDir(to), "engine", "volumes")));
        Assert.Empty(Directory.Exists(strata.Home.Combine("local", "volumes")) ? Directory.GetDirectories(strata.Home.Combine("local", "volumes")) : []);
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Contains($"moved elsewhere (host {from} is draining): it stops first, and its replacement starts on another host with its volumes", events.Out, StringComparison.Ordinal);
        Assert.Matches($@"volume\.moved +volume {volume} moved from draining host {from} to host {to} for {moved.Name}: 2\.\d MiB copied in \d+\.\ds", events.Out);
    }

    [Fact]
    public async Task HostOfAVolumeNoServerHoldsDrained_VolumeMovesToTheFreeHostAndTheHostCanBeRemovedThenAScaleOutRunsThereWithTheData()
    {
        await using var fleet = await HostFleetScenario.StartAsync(3);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(WriteSpec(strata, "\n    deletionPolicy: retain", BlobRun, servers: "{ min: 1, max: 2, desired: 2 }"), Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var before = HelloEndToEndTests.Servers(await strata.StatusAsync(Deployment)).ToList();
        var logs = new Dictionary<string, string>();
        foreach (var server in before)
        {
            logs[server.Name] = await SingleServerTier.LogAsync(strata, Deployment, server.Name);
        }

        // One server leaves; its volume is retained, held by no server, on its host.
        var scale = await strata.RunAsync(HostFleetScenario.Timeout, "scale", Deployment, "store", "1");
        var kept = SingleServerTier.Single(await strata.StatusAsync(Deployment));
        var gone = before.Single(s => s.Name != kept.Name);
        var blob = System.Text.RegularExpressions.Regex.Match(logs[gone.Name], "and blob ([0-9a-f]{16})").Groups[1].Value;
        var from = HostOf(fleet, gone.Address);
        var free = Enumerable.Range(1, 3).Select(i => $"h{i}").Single(h => h != from && h != HostOf(fleet, kept.Address));
        var volume = Path.GetFileName(Assert.Single(Directory.GetDirectories(Path.Combine(fleet.AgentDir(from), "engine", "volumes"))));

        var drain = await strata.RunAsync(HostFleetScenario.Timeout * 2, "host", "drain", from);
        var remove = await strata.RunAsync(HostFleetScenario.Timeout, "host", "remove", from);
        var scaleOut = await strata.RunAsync(HostFleetScenario.Timeout * 2, "scale", Deployment, "store", "2");
        var added = HelloEndToEndTests.Servers(await strata.StatusAsync(Deployment)).Single(s => s.Name != kept.Name);
        var events = await strata.RunAsync(HostFleetScenario.Timeout, "events", Deployment);

        Assert.True(scale.ExitCode == 0, scale.ToString());
        Assert.Matches("^[0-9a-f]{16}$", blob);
        Assert.True(drain.ExitCode == 0, $"{drain}\n{events.Out}");
        Assert.True(drain.Error.Contains($"volume {volume} ({Deployment}/store), which no server holds, left {from}: it was copied to a host where a server of its tier can start; 0 servers to go", StringComparison.Ordinal), drain.ToString());
        Assert.Contains($"Draining host '{from}': moving 1 volume to other hosts: volume {volume} ({Deployment}/store, which no server holds).", drain.Error, StringComparison.Ordinal);
        Assert.Matches($@"volume\.moved +volume {volume}, which no server holds, moved from draining host {from} to host {free}: 2\.\d MiB copied in \d+\.\ds", events.Out);
        Assert.Equal([volume], Directory.GetDirectories(Path.Combine(fleet.AgentDir(free), "engine", "volumes")).Select(Path.GetFileName));
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.True(scaleOut.ExitCode == 0, scaleOut.ToString());
        Assert.Equal(free, HostOf(fleet, added.Address));
        Assert.Contains($"volume holds boots of {gone.Name} {added.Name} and blob {blob}", await SingleServerTier.LogAsync(strata, Deployment, added.Name), StringComparison.Ordinal);
    }

    private static string HostOf(HostFleetScenario fleet, string address) => $"h{fleet.Hosts.FindIndex(h => h.Address == address) + 1}";

    [Fact]
    public async Task HostOfTheVolumeDrainedWithNoOtherHost_ServerKeepsRunningThereAndTheDrainSaysWhy()
    {
        await using var fleet = await HostFleetScenario.StartAsync(1);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(WriteSpec(strata), Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var first = SingleServerTier.Single(await strata.StatusAsync(Deployment));

        var drain = await strata.RunAsync(HostFleetScenario.Timeout, "host", "drain", "h1");
        var after = SingleServerTier.Single(await strata.StatusAsync(Deployment));
        var events = await strata.RunAsync(HostFleetScenario.Timeout, "events", Deployment);

        Assert.Equal(ExitCodes.NotConverged, drain.ExitCode);
        Assert.Contains($"strata: cannot move {first.Name} of tier 'store' (deployment {Deployment}) off host h1: no capacity: ", drain.Error, StringComparison.Ordinal);
        Assert.Equal((first.Name, first.Pid), (after.Name, after.Pid));
        Assert.Contains($"tier store cannot move {first.Name} (host h1 is draining) elsewhere: no capacity: ", events.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("terminat", events.Out, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HostOfTheVolumeLost_NoServerStartsElsewhereUntilTheHostIsBackThenItRunsThereWithTheData()
    {
        await using var fleet = await HostFleetScenario.StartAsync(2, ["--host-timeout", "2s", "--host-lost-after", "4s"]);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(WriteSpec(strata), Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var first = SingleServerTier.Single(await strata.StatusAsync(Deployment));
        var index = fleet.Hosts.FindIndex(h => h.Address == first.Address);
        var host = $"h{index + 1}";
        var volume = Path.GetFileName(Assert.Single(Directory.GetDirectories(Path.Combine(fleet.AgentDir(host), "engine", "volumes"))));
        var waiting = $"no capacity: its volume {volume} is on host {host}, which is lost: the server runs only where its data is";

        fleet.Hosts[index].PowerOff();
        await Eventually.WaitAsync(async () => (await strata.StatusAsync(Deployment)).ToString().Contains(waiting, StringComparison.Ordinal),
            "the tier to wait for the volume's host", TimeSpan.FromMinutes(2));
        // Long past a launch's pacing: a server that was going to start elsewhere, or fail, has done so.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var whileLost = HelloEndToEndTests.Servers(await strata.StatusAsync(Deployment));
        await fleet.Hosts[index].PowerOnAsync();
        var back = await SingleServerTier.WaitForReplacementAsync(strata, Deployment, first.Name);
        var events = (await strata.RunAsync(HostFleetScenario.Timeout, "events", Deployment)).Out;

        Assert.DoesNotContain(whileLost, s => s.State is "inService" or "booting" or "configuring");
        Assert.Equal(first.Address, back.Address);
        Assert.Contains($"volume holds boots of {first.Name} {back.Name}", await SingleServerTier.LogAsync(strata, Deployment, back.Name), StringComparison.Ordinal);
        Assert.Contains($"tier.no-capacity", events, StringComparison.Ordinal);
        Assert.DoesNotContain("crashloop", events, StringComparison.Ordinal);
        Assert.DoesNotContain($"failed: {waiting}", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SnapshotOfAVolumeOnAHost_TakenRestoredAndTakenLastOnDown_CopiesTheHostsContentAndLeavesNoArchives()
    {
        await using var fleet = await HostFleetScenario.StartAsync(1);
        var strata = fleet.Strata;
        var spec = WriteSpec(strata, """

                deletionPolicy: snapshot
                backups:
                  nightly: { snapshot: data, cron: "0 3 * * *" }
            """);
        var up = await strata.UpAsync(spec, Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var first = SingleServerTier.Single(await strata.StatusAsync(Deployment));

        var backup = await strata.RunAsync(HostFleetScenario.Timeout, "backup", "run", Deployment, "--tier", "store", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var lines = backup.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var taken = lines.Single(l => l.GetProperty("type").GetString() == "backup").GetProperty("backup");
        var snapshot = taken.GetProperty("id").GetString()!;
        // The last progress line, before the result, shows the snapshot's final counts.
        var lastProgress = lines.FindLastIndex(l => l.GetProperty("type").GetString() == "progress");
        Assert.InRange(lastProgress, 0, lines.IndexOf(lines.Single(l => l.GetProperty("type").GetString() == "backup")) - 1);
        Assert.Equal(taken.GetProperty("bytes").GetInt64(), lines[lastProgress].GetProperty("progress").GetProperty("bytesRead").GetInt64());
        Assert.True(lines[lastProgress].GetProperty("progress").GetProperty("bytesUploaded").GetInt64() > 0, backup.Out); // a first snapshot uploads all it read
        Process.GetProcessById(first.Pid).Kill();
        var second = await SingleServerTier.WaitForReplacementAsync(strata, Deployment, first.Name);
        var restore = await strata.RunAsync(TimeSpan.FromMinutes(2), "restore", Deployment, "--tier", "store", "--snapshot", snapshot);
        var third = SingleServerTier.Single(await strata.StatusAsync(Deployment));
        var restoredLog = await SingleServerTier.LogAsync(strata, Deployment, third.Name);
        var down = await strata.RunAsync(TimeSpan.FromMinutes(2), "down", Deployment, "--yes");
        var emptied = Directory.GetDirectories(Path.Combine(fleet.AgentDir("h1"), "engine", "volumes"));
        var again = await strata.UpAsync(spec, Deployment);
        var list = await strata.RunAsync(HostFleetScenario.Timeout, "backups", "list", Deployment, "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var snapshots = System.Text.Json.JsonDocument.Parse(list.Out).RootElement.GetProperty("backups").EnumerateArray()
            .Where(b => b.GetProperty("kind").GetString() == "snapshot").Select(b => b.GetProperty("id").GetString()).ToList();

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.NotEqual(second.Name, third.Name);
        // The snapshot holds the first server's boot only: the second's came after it, and the restore took it away.
        Assert.Contains($"volume holds boots of {first.Name} {third.Name}", restoredLog, StringComparison.Ordinal);
        Assert.True(down.ExitCode == 0, down.ToString());
        // The one taken by hand, and the final one taken of the volume on the host before it was deleted.
        Assert.True(snapshots.Count == 2 && snapshots.Contains(snapshot), list.ToString());
        Assert.Empty(emptied);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Empty(Directory.GetFiles(Path.Combine(fleet.AgentDir("h1"), "uploads")));
        Assert.Empty(Directory.Exists(strata.Home.Combine("tmp")) ? Directory.GetFileSystemEntries(strata.Home.Combine("tmp")) : []);
    }

    [Fact]
    public async Task HostOfTheVolumeLostWithRestoreLatest_ServerStartsOnAnotherHostFromTheNewestSnapshotAndSaysHowOldItIs()
    {
        await using var fleet = await HostFleetScenario.StartAsync(2, ["--host-timeout", "2s", "--host-lost-after", "4s"]);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(WriteSpec(strata, """

                volumeRecovery: restoreLatest
                backups:
                  nightly: { snapshot: data, cron: "0 3 * * *" }
            """), Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var first = SingleServerTier.Single(await strata.StatusAsync(Deployment));
        var index = fleet.Hosts.FindIndex(h => h.Address == first.Address);
        var lostVolume = Path.GetFileName(Assert.Single(Directory.GetDirectories(Path.Combine(fleet.AgentDir($"h{index + 1}"), "engine", "volumes"))));
        var backup = await strata.RunAsync(HostFleetScenario.Timeout, "backup", "run", Deployment, "--tier", "store");
        Assert.True(backup.ExitCode == 0, backup.ToString());

        fleet.Hosts[index].PowerOff();
        var second = await SingleServerTier.WaitForReplacementAsync(strata, Deployment, first.Name);
        var events = (await strata.RunAsync(HostFleetScenario.Timeout, "events", Deployment)).Out;

        Assert.NotEqual(first.Address, second.Address);
        Assert.Contains($"volume holds boots of {first.Name} {second.Name}", await SingleServerTier.LogAsync(strata, Deployment, second.Name), StringComparison.Ordinal);
        Assert.Contains("volume.recovered", events, StringComparison.Ordinal);
        Assert.Contains($"in place of {lostVolume} on lost host h{index + 1}: recovery point ", events, StringComparison.Ordinal);
        Assert.DoesNotContain("tier.no-capacity", events, StringComparison.Ordinal);
        var recovered = Assert.Single((await strata.StatusAsync(Deployment)).GetProperty("volumes").EnumerateArray()).GetProperty("recovered");
        Assert.Equal((lostVolume, $"h{index + 1}", "primary"), (recovered.GetProperty("lostVolume").GetString(), recovered.GetProperty("lostHost").GetString(), recovered.GetProperty("store").GetString()));
        Assert.InRange(recovered.GetProperty("recoveryPointAgeSeconds").GetDouble(), 0, 600);
    }

    private static async Task<CliResult> RestartControlPlaneAsync(StrataRunner strata)
    {
        var pid = await strata.ControlPlanePidAsync();
        Process.GetProcessById(pid).Kill();
        await Eventually.WaitAsync(() => !StrataRunner.IsAlive(pid), "the control plane to die");
        return await strata.RunAsync(HostFleetScenario.Timeout, "server", "start", "--listen", strata.Listen);
    }

    private static string WriteFiller(StrataRunner strata, string zone)
    {
        strata.Home.WriteFile("filler/app/run.sh", "exec sleep 100000");
        return strata.Home.WriteFile("filler/strata.yaml", $$"""
            deployment: filler
            images:
              app: { from: ./app, run: sh run.sh }
            tiers:
              busy:
                image: app
                servers: 1
                placement: { zones: [{{zone}}] }
                resources: { cpu: 0.5 }
            """);
    }

    private static string WriteSpec(StrataRunner strata, string more = "", string run = Run, string servers = "1")
    {
        strata.Home.WriteFile("vault/app/run.sh", run);
        return strata.Home.WriteFile("vault/strata.yaml", """
            deployment: vault
            images:
              app:
                from: ./app
                run: sh run.sh
            tiers:
              store:
                image: app
                servers: SERVERS
                volumes:
                  data: { size: 16MiB, mount: data }
                placement: { spread: host }
                recoveryDelay: 1s
                update: { maxSurge: 0, maxUnavailable: 1 }
            """.Replace("SERVERS", servers, StringComparison.Ordinal) + more);
    }
}
