using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// A backup whose copy to the disaster-recovery store cannot be made yet (the S3 store is not running), then the
/// control plane killed: once the store is up, the restarted control plane makes the copy it had queued.
/// </summary>
[Trait("kind", "e2e")]
public sealed class DisasterRecoveryQueueEndToEndTests
{
    private const string Deployment = "drq";

    [Fact]
    public async Task BackupQueuedForUnreachableStore_ControlPlaneKilledAndRestarted_CopyIsResumed()
    {
        await using var runner = new StrataRunner();
        var s3Endpoint = LoopbackPorts.Reserve();
        var spec = WriteSpec(runner, s3Endpoint);
        var up = await runner.UpAsync(spec, Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());

        var run = await runner.RunAsync(TimeSpan.FromMinutes(2), "backup", "run", Deployment, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var id = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(l => l.GetProperty("type").GetString() == "backup").GetProperty("backup").GetProperty("id").GetString()!;
        var pid = await runner.ControlPlanePidAsync();
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        await Eventually.WaitAsync(() => !StrataRunner.IsAlive(pid), "the control plane to die");

        await using var s3 = await S3rverProcess.StartAsync(s3Endpoint).WithTimeout(TimeSpan.FromMinutes(1));
        up = await runner.UpAsync(spec, Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());

        await Eventually.WaitAsync(async () => await StoresOfAsync(runner, id) is ["dr", "primary"], $"backup {id} to reach the disaster-recovery store", TimeSpan.FromMinutes(2));
        Assert.Contains(await s3.ListKeysAsync("").WithTimeout(), k => k.EndsWith($"/{id}.data", StringComparison.Ordinal));
    }

    private static string WriteSpec(StrataRunner runner, LoopbackEndpoint s3)
    {
        var folder = runner.Home.Combine("specs", Deployment);
        Directory.CreateDirectory(Path.Combine(folder, "app"));
        File.WriteAllText(Path.Combine(folder, "app", "backup.sh"), "echo \"rows of $STRATA_TIER\" > \"$STRATA_BACKUP_FILE\"\n");
        var spec = Path.Combine(folder, "strata.yaml");
        File.WriteAllText(spec, $$"""
            deployment: {{Deployment}}
            images:
              app:
                from: ./app
                run: sleep 100000
                hooks: { backup: sh backup.sh }
            tiers:
              db:
                image: app
                servers: 1
                backups:
                  dump: { service: true, every: 24h }
            storage:
              disasterRecovery:
                type: s3
                endpoint: "{{s3.Url}}"
                bucket: {{S3rverProcess.BucketName}}
                region: {{S3rverProcess.Region}}
                accessKey: {{S3rverProcess.AccessKey}}
                secretKey: {{S3rverProcess.SecretKey}}
            """);
        return spec;
    }

    private static async Task<string[]> StoresOfAsync(StrataRunner runner, string id)
    {
        var result = await runner.RunAsync(TimeSpan.FromSeconds(30), "backups", "list", Deployment, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. JsonDocument.Parse(result.Out).RootElement.GetProperty("backups").EnumerateArray()
            .Where(b => b.GetProperty("id").GetString() == id)
            .SelectMany(b => b.GetProperty("stores").EnumerateArray().Select(s => s.GetString()!))
            .Order(StringComparer.Ordinal)];
    }
}
