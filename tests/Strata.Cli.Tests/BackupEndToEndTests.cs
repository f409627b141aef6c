using System.Diagnostics;
using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// The status-page example with its real PostgreSQL tier: rows written, backed up by volume snapshot and by
/// pg_dump, the deployment taken down and brought up again, and the rows restored from each kind of backup and from
/// the disaster-recovery copy; restore drills pass on good backups and fail on a corrupted one.
/// </summary>
[Trait("kind", "e2e")]
public sealed class BackupEndToEndTests
{
    private const string Deployment = "status-page";
    private const string Password = "s3cret-pw";
    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task BackupDownUpRestore_SnapshotServiceAndDisasterRecovery_RowsComeBack()
    {
        await using var runner = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var spec = runner.CopyExample("status-page", new Dictionary<string, string> { ["127.0.0.1:8090"] = $"{front}", ["front:8090"] = $"front:{front.Port}" });
        await UpAsync(runner, spec);
        await PsqlAsync(runner, "INSERT INTO service (name, state) VALUES ('backup-proof', 'operational')");

        var lines = await JsonLinesAsync(runner, "backup", "run", Deployment, "--tier", "db", "--json");
        var snapshot = lines.Single(l => l.GetProperty("type").GetString() == "backup" && l.GetProperty("backup").GetProperty("kind").GetString() == "snapshot").GetProperty("backup").GetProperty("id").GetString()!;
        var dump = lines.Single(l => l.GetProperty("type").GetString() == "backup" && l.GetProperty("backup").GetProperty("kind").GetString() == "service").GetProperty("backup").GetProperty("id").GetString()!;

        var drills = await JsonLinesAsync(runner, "backup", "verify", Deployment, "--tier", "db", "--json");
        Assert.Equal(2, drills.Count(l => l.GetProperty("drill").GetProperty("passed").GetBoolean()));
        var status = await runner.StatusAsync(Deployment);
        Assert.All(status.GetProperty("backups").EnumerateArray(), b => Assert.True(b.GetProperty("lastDrillPassed").GetBoolean(), b.ToString()));
        await WaitReplicatedAsync(runner, dump);

        var down = await runner.RunAsync(s_long, "down", Deployment, "--yes");
        Assert.True(down.ExitCode == 0, down.ToString());
        await UpAsync(runner, spec);
        Assert.Equal("0", await PsqlAsync(runner, "SELECT count(*) FROM service WHERE name = 'backup-proof'"));

        await RestoreAsync(runner, "--backup", dump);
        Assert.Equal("1", await PsqlAsync(runner, "SELECT count(*) FROM service WHERE name = 'backup-proof'"));

        await PsqlAsync(runner, "DELETE FROM service WHERE name = 'backup-proof'");
        await RestoreAsync(runner, "--snapshot", snapshot);
        Assert.Equal("1", await PsqlAsync(runner, "SELECT count(*) FROM service WHERE name = 'backup-proof'"));

        await PsqlAsync(runner, "DELETE FROM service WHERE name = 'backup-proof'");
        await RestoreAsync(runner, "--backup", dump, "--from", "dr");
        Assert.Equal("1", await PsqlAsync(runner, "SELECT count(*) FROM service WHERE name = 'backup-proof'"));

        CorruptChunks(Path.Combine(Path.GetDirectoryName(spec)!, ".strata", "backups"));
        var failed = await runner.RunAsync(s_long, "backup", "verify", Deployment, "--tier", "db", "--policy", "nightly-snapshot");
        Assert.True(failed.ExitCode == ExitCodes.BackupFailed, failed.ToString());
        Assert.Contains("drill FAILED", failed.Out, StringComparison.Ordinal);
        Assert.Contains("chunks/", failed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_NeitherSnapshotNorBackup_IsUsageError()
    {
        await using var runner = new StrataRunner();
        var result = await runner.RunAsync(TimeSpan.FromSeconds(30), "restore", Deployment, "--tier", "db");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("exactly one of --snapshot ID and --backup ID", result.Error, StringComparison.Ordinal);
    }

    private static async Task UpAsync(StrataRunner runner, string spec)
    {
        var up = await runner.UpAsync(spec, Deployment, "--param", $"dbPassword={Password}", "--param", "webServers=1");
        Assert.True(up.ExitCode == 0, up.ToString());
    }

    private static async Task RestoreAsync(StrataRunner runner, params string[] extra)
    {
        var result = await runner.RunAsync(s_long, ["restore", Deployment, "--tier", "db", .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static async Task<List<JsonElement>> JsonLinesAsync(StrataRunner runner, params string[] args)
    {
        var result = await runner.RunAsync(s_long, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private static async Task WaitReplicatedAsync(StrataRunner runner, string id) =>
        await Eventually.WaitAsync(async () =>
        {
            var result = await runner.RunAsync(TimeSpan.FromSeconds(30), "backups", "list", Deployment, "--json");
            return JsonDocument.Parse(result.Out).RootElement.GetProperty("backups").EnumerateArray()
                .Any(b => b.GetProperty("id").GetString() == id && b.GetProperty("stores").EnumerateArray().Any(s => s.GetString() == "dr"));
        }, $"backup {id} to reach the disaster-recovery store", TimeSpan.FromMinutes(1));

    /// <summary>Runs SQL against the deployment's database server as it is now, once it accepts connections.</summary>
    private static async Task<string> PsqlAsync(StrataRunner runner, string sql)
    {
        string output = "";
        await Eventually.WaitAsync(async () =>
        {
            var status = await runner.StatusAsync(Deployment);
            var db = status.GetProperty("servers").EnumerateArray().First(s => s.GetProperty("tier").GetString() == "db" && s.GetProperty("state").GetString() == "inService");
            var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "-h", db.GetProperty("address").GetString()!, "-p", "5432", "-U", "status", "-d", "status", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["PGPASSWORD"] = Password;
            using var psql = Process.Start(start)!;
            var stdout = psql.StandardOutput.ReadToEndAsync();
            await psql.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await psql.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            output = (await stdout).Trim();
            return psql.ExitCode == 0;
        }, "psql to answer", TimeSpan.FromMinutes(2));
        return output;
    }

    private static void CorruptChunks(string store)
    {
        var chunks = Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories).Where(f => f.Contains("/chunks/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(chunks);
        foreach (var chunk in chunks)
        {
            var bytes = File.ReadAllBytes(chunk);
            bytes[bytes.Length / 2] ^= 0xFF;
            File.WriteAllBytes(chunk, bytes);
        }
    }
}
