using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// <c>strata drill region</c> with real sshd hosts in two regions: the scratch copy of a two-tier deployment comes back
/// in the other region from the disaster-recovery store, its web tier reaching its own scratch database, its load
/// balancer serving; nothing of it is left afterwards, and the deployment itself is untouched.
/// </summary>
[Trait("kind", "e2e")]
public sealed class RegionDrillEndToEndTests
{
    private const string Deployment = "notes";

    [Fact]
    public async Task DrillRegion_HostsInTwoRegions_CopyComesBackInTheOtherFromTheDisasterRecoveryStoreServesAndIsTornDown()
    {
        await using var fleet = await HostFleetScenario.StartAsync(3, regions: ["eu", "eu", "us"]);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(WriteSpec(fleet, disasterRecovery: true, dbRegions: null), Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var backup = await BackupIdAsync(strata);
        var before = ServerNames(await strata.StatusAsync(Deployment));

        // Written after the backup into the deployment's own database: the copy must not see it.
        var db = (await strata.StatusAsync(Deployment)).GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("tier").GetString() == "db");
        var dbHost = fleet.Hosts.FindIndex(h => h.Address == db.GetProperty("address").GetString()) + 1;
        File.AppendAllText(Path.Combine(fleet.AgentDir($"h{dbHost}"), "engine", "servers", db.GetProperty("name").GetString()!, "root", "data", "seed"), "changed after the backup\n");

        var drill = await strata.RunAsync(HostFleetScenario.Timeout, "drill", "region", Deployment, "eu", "--json");
        var lines = drill.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var steps = lines.Where(l => l.GetProperty("type").GetString() == "step").Select(l => l.GetProperty("step").GetString()!).ToList();
        var result = lines.Single(l => l.GetProperty("type").GetString() == "regionDrill").GetProperty("regionDrill");
        var events = await strata.RunAsync(HostFleetScenario.Timeout, "events", Deployment);

        Assert.True(drill.ExitCode == 0, drill.ToString());
        Assert.True(result.GetProperty("passed").GetBoolean(), result.ToString());
        Assert.All(result.GetProperty("servers").EnumerateArray(), s => Assert.Equal(("h3", "us"), (s.GetProperty("host").GetString(), s.GetProperty("region").GetString())));
        Assert.Equal(["db", "web"], result.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("tier").GetString()).Order());
        Assert.Equal(backup, Assert.Single(result.GetProperty("volumes").EnumerateArray()).GetProperty("snapshot").GetString());
        Assert.InRange(result.GetProperty("recoveryPointSeconds").GetDouble(), 0, 600);
        Assert.InRange(result.GetProperty("recoveryTimeSeconds").GetDouble(), 0.1, 120);
        var lb = Assert.Single(result.GetProperty("loadBalancers").EnumerateArray());
        Assert.Equal(200, lb.GetProperty("statusCode").GetInt32());
        Assert.NotEqual($"http://{fleet.Front}", lb.GetProperty("url").GetString());

        // Both verify hooks passed, run by the agent of h3: the database's data is the snapshot's, and the web tier
        // reached that database, not the deployment's own, and its load balancer reference named the copy's.
        Assert.Contains("tier db: verify hook passed", steps);
        Assert.Contains("tier web: verify hook passed", steps);
        Assert.Contains("region.drill-passed", events.Out, StringComparison.Ordinal);
        Assert.Contains("came back outside region eu in ", events.Out, StringComparison.Ordinal);

        Assert.Equal(before, ServerNames(await strata.StatusAsync(Deployment)));
        Assert.Empty(Leftovers(fleet));
    }

    [Fact]
    public async Task DrillRegion_DatabasePinnedToTheRegionWaitingForItsVolumeWithoutADisasterRecoveryStore_FailsSayingAllAndStartsNothing()
    {
        await using var fleet = await HostFleetScenario.StartAsync(2, regions: ["eu", "us"]);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(WriteSpec(fleet, disasterRecovery: false, dbRegions: "[eu]"), Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());

        var unknown = await strata.RunAsync(HostFleetScenario.Timeout, "drill", "region", Deployment, "mars");
        var drill = await strata.RunAsync(HostFleetScenario.Timeout, "drill", "region", Deployment, "eu");

        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("no host is in region 'mars'; the hosts' regions are eu, us", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(7, drill.ExitCode);
        Assert.Contains("region drill of eu FAILED: ", drill.Out, StringComparison.Ordinal);
        Assert.Contains("tier db may run only in region eu (placement.regions)", drill.Out, StringComparison.Ordinal);
        Assert.Contains("tier db would wait for its volume notes-db-data-", drill.Out, StringComparison.Ordinal);
        Assert.Contains("on host h1 in region eu (volumeRecovery: wait)", drill.Out, StringComparison.Ordinal);
        Assert.Contains("volume data of tier db would be lost with region eu: the deployment has no disasterRecovery store", drill.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("starting 1 server", drill.Error, StringComparison.Ordinal);
        Assert.Empty(Leftovers(fleet));
    }

    [Fact]
    public async Task DrillRegion_InterruptedWhileTheCopyStarts_RecordedAsFailedAndNothingIsLeft()
    {
        await using var fleet = await HostFleetScenario.StartAsync(3, regions: ["eu", "eu", "us"]);
        var strata = fleet.Strata;
        var up = await strata.UpAsync(WriteSpec(fleet, disasterRecovery: true, dbRegions: null, webCopyHangs: true), Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        await BackupIdAsync(strata);

        // The copy's web server never answers its health check: Ctrl-C once it is being started.
        using var drill = strata.Start("drill", "region", Deployment, "eu");
        string? line;
        while ((line = await drill.StandardError.ReadLineAsync().WithTimeout(HostFleetScenario.Timeout)) is not null && !line.Contains("tier web: starting", StringComparison.Ordinal))
        {
        }

        Assert.NotNull(line);
        using (var signal = System.Diagnostics.Process.Start("kill", ["-INT", drill.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await signal.WaitForExitAsync().WithTimeout();
        }

        _ = drill.StandardOutput.ReadToEndAsync();
        _ = drill.StandardError.ReadToEndAsync();
        await drill.WaitForExitAsync().WithTimeout(TimeSpan.FromSeconds(30));

        string events = "";
        await Eventually.WaitAsync(async () =>
        {
            events = (await strata.RunAsync(HostFleetScenario.Timeout, "events", Deployment)).Out;
            return events.Contains("region.drill-failed", StringComparison.Ordinal);
        }, "the interrupted drill to be recorded");
        Assert.Contains("region drill of eu: FAILED: cancelled after ", events, StringComparison.Ordinal);
        Assert.NotEqual(0, drill.ExitCode);
        Assert.Empty(Leftovers(fleet));
    }

    /// <summary>Takes a snapshot of the database and waits for its copy in the disaster-recovery store; returns its id.</summary>
    private static async Task<string> BackupIdAsync(StrataRunner strata)
    {
        var run = await strata.RunAsync(HostFleetScenario.Timeout, "backup", "run", Deployment, "--tier", "db");
        Assert.True(run.ExitCode == 0, run.ToString());
        string? id = null;
        await Eventually.WaitAsync(async () =>
        {
            var list = await strata.RunAsync(HostFleetScenario.Timeout, "backups", Deployment, "--json");
            var copied = JsonDocument.Parse(list.Out).RootElement.GetProperty("backups").EnumerateArray()
                .FirstOrDefault(b => b.GetProperty("stores").EnumerateArray().Any(s => s.GetString() == "dr"));
            id = copied.ValueKind == JsonValueKind.Object ? copied.GetProperty("id").GetString() : null;
            return id is not null;
        }, "the snapshot to be copied to the disaster-recovery store");
        return id!;
    }

    private static List<string> ServerNames(JsonElement status) =>
        [.. status.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).Order()];

    /// <summary>Scratch servers, volumes and load balancers on any host or the control plane's machine.</summary>
    private static List<string> Leftovers(HostFleetScenario fleet)
    {
        var folders = fleet.Hosts.Select((_, i) => fleet.AgentDir($"h{i + 1}"))
            .SelectMany(a => new[] { Path.Combine(a, "engine", "servers"), Path.Combine(a, "engine", "volumes"), Path.Combine(a, "lb", "builtin") })
            .Append(fleet.Strata.Home.Combine("loadbalancers"))
            .Append(fleet.Strata.Home.Combine("local", "volumes"));
        return [.. folders.Where(Directory.Exists).SelectMany(Directory.GetDirectories).Where(d => d.Contains("-rdrill-", StringComparison.Ordinal) || d.Contains("region-drill", StringComparison.Ordinal))];
    }

    /// <summary>
    /// A database that seeds its volume on its first boot, and whose verify hook (run by a host's agent, which it checks)
    /// refuses a seed it wrote itself (a volume that came back empty) or one changed after the backup; a web tier whose
    /// verify hook reads that seed through its reference to the database.
    /// </summary>
    private static string WriteSpec(HostFleetScenario fleet, bool disasterRecovery, string? dbRegions, bool webCopyHangs = false)
    {
        var home = fleet.Strata.Home;
        home.WriteFile("notes/db/run.sh", """
            [ -f data/seed ] || echo "seeded by $STRATA_SERVER_NAME" > data/seed
            exec python3 -m http.server 7000 --bind "$STRATA_ADDRESS" --directory data
            """);
        home.WriteFile("notes/db/agent.sh", HostFleetScenario.AgentAncestorScript);
        home.WriteFile("notes/db/verify.sh", """
            # Run by the agent (an ancestor of this script), on the snapshot's data.
            agent=$(sh agent.sh)
            echo "run by: $agent; seed: $(cat data/seed)"
            [ "$agent" = Strata.Agent ] && grep -q "seeded by" data/seed && ! grep -q -e "$STRATA_SERVER_NAME" -e changed data/seed
            """);
        home.WriteFile("notes/web/run.sh", (webCopyHangs ? "case $STRATA_SERVER_NAME in *-rdrill-*) exec sleep 600;; esac\n" : "") + """
            mkdir -p www && echo ok > www/healthz
            exec python3 -m http.server 8000 --bind "$STRATA_ADDRESS" --directory www
            """);
        home.WriteFile("notes/web/verify.sh", """
            python3 -c 'import os, sys, urllib.request; seed = urllib.request.urlopen(os.environ["DB_URL"], timeout=5).read(); sys.exit(0 if b"seeded by" in seed and b"changed" not in seed else 1)' || exit 1
            # Its load balancer is the copy's, listening already (its members come once the tiers are healthy).
            echo "front: $FRONT_URL"
            [ "$FRONT_URL" != "http://$REAL_FRONT" ] || exit 2
            python3 -c 'import os, socket, urllib.parse; u = urllib.parse.urlsplit(os.environ["FRONT_URL"]); socket.create_connection((u.hostname, u.port), timeout=5).close()'
            """);
        var dr = disasterRecovery ? $"  disasterRecovery: {{ type: filesystem, path: {home.Combine("store-dr")} }}\n" : "";
        // Pinned to one region, it waits for its volume there; otherwise it comes back elsewhere from the newest snapshot.
        var placement = dbRegions is null ? "    volumeRecovery: restoreLatest\n" : $"    placement: {{ regions: {dbRegions} }}\n";
        return home.WriteFile("notes/strata.yaml", $$"""
            deployment: {{Deployment}}
            images:
              db: { from: ./db, run: sh run.sh, hooks: { verify: sh verify.sh } }
              web: { from: ./web, run: sh run.sh, hooks: { verify: sh verify.sh } }
            storage:
              backups: { type: filesystem, path: {{home.Combine("store")}} }
            {{dr}}tiers:
              db:
                image: db
                servers: 1
                ports: { api: 7000 }
                volumes:
                  data: { size: 16MiB, mount: data }
                health: { tcp: 7000, interval: 1s }
                backups:
                  hourly: { snapshot: data, every: 1h }
            {{placement}}  web:
                image: web
                servers: { min: 1, max: 2, desired: 2 }
                ports: { http: 8000 }
                env:
                  DB_URL: http://${tiers.db.servers[0].address}:7000/seed
                  FRONT_URL: ${loadBalancers.front.url}
                  REAL_FRONT: {{fleet.Front}}
                health: { http: /healthz, interval: 1s }
            loadBalancers:
              front:
                listen: {{fleet.Front}}
                to: web:http
            """);
    }
}
