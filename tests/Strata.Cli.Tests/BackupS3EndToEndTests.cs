using System.Diagnostics;
using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// The status-page example with its backups in an S3-compatible store (a real s3rver) and its disaster-recovery
/// copies in a folder: rows written, backed up by pg_dump, the deployment taken down and brought up again, and the
/// rows restored from the S3 store and then from the disaster-recovery copy.
/// </summary>
[Trait("kind", "e2e")]
public sealed class BackupS3EndToEndTests
{
    private const string Deployment = "status-page";
    private const string Password = "s3cret-pw";
    private const string Prefix = "strata-e2e/";
    private const string Policy = "hourly-dump";
    private const string ProofRows = "SELECT count(*) FROM service WHERE name = 'backup-proof'";
    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task BackupDownUpRestore_S3StoreAndDisasterRecoveryCopy_RowsComeBack()
    {
        await using var s3 = await S3rverProcess.StartAsync().WithTimeout(TimeSpan.FromMinutes(1));
        await using var runner = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var spec = runner.CopyExample("status-page", new Dictionary<string, string>
        {
            ["127.0.0.1:8090"] = $"{front}",
            ["front:8090"] = $"front:{front.Port}",
            ["backups: { type: filesystem, path: .strata/backups }"] =
                $"backups: {{ type: s3, endpoint: \"{s3.ServiceUrl}\", bucket: {S3rverProcess.BucketName}, prefix: {Prefix}, " +
                $"region: {S3rverProcess.Region}, accessKey: {S3rverProcess.AccessKey}, secretKey: {S3rverProcess.SecretKey} }}",
        });
        Assert.Contains("type: s3", File.ReadAllText(spec), StringComparison.Ordinal);
        await UpAsync(runner, spec);
        await PsqlAsync(runner, "INSERT INTO service (name, state) VALUES ('backup-proof', 'operational')");

        var dump = await BackupAsync(runner);
        Assert.Contains(await s3.ListKeysAsync(Prefix).WithTimeout(), k => k.EndsWith($"/{dump}.data", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(spec)!, ".strata", "backups")), "the backup went to the filesystem, not to S3");
        await WaitReplicatedAsync(runner, dump);

        var down = await runner.RunAsync(s_long, "down", Deployment, "--yes");
        Assert.True(down.ExitCode == 0, down.ToString());
        await UpAsync(runner, spec);
        Assert.Equal("0", await PsqlAsync(runner, ProofRows));

        await RestoreAsync(runner, "--backup", dump);
        Assert.Equal("1", await PsqlAsync(runner, ProofRows));

        await PsqlAsync(runner, "DELETE FROM service WHERE name = 'backup-proof'");
        await RestoreAsync(runner, "--backup", dump, "--from", "dr");
        Assert.Equal("1", await PsqlAsync(runner, ProofRows));
    }

    private static async Task UpAsync(StrataRunner runner, string spec)
    {
        var up = await runner.UpAsync(spec, Deployment, "--param", $"dbPassword={Password}", "--param", "webServers=1");
        Assert.True(up.ExitCode == 0, up.ToString());
    }

    /// <summary>Takes a pg_dump backup and returns its id.</summary>
    private static async Task<string> BackupAsync(StrataRunner runner)
    {
        var result = await runner.RunAsync(s_long, "backup", "run", Deployment, "--tier", "db", "--policy", Policy, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var backup = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .Single(l => l.GetProperty("type").GetString() == "backup")
            .GetProperty("backup");
        Assert.Equal("service", backup.GetProperty("kind").GetString());
        return backup.GetProperty("id").GetString()!;
    }

    private static async Task RestoreAsync(StrataRunner runner, params string[] extra)
    {
        var result = await runner.RunAsync(s_long, ["restore", Deployment, "--tier", "db", .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
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
        var output = "";
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
}
