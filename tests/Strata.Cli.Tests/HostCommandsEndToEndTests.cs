using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// A server's commands run where the server runs: on a host, its health <c>command</c> check and its image's hooks are
/// run by the host's agent (each command below checks that its parent process is the agent), and a service backup's
/// file comes from the host and goes back to it for a restore, leaving nothing in the agent's upload folder.
/// </summary>
[Trait("kind", "e2e")]
public sealed class HostCommandsEndToEndTests
{
    private const string Deployment = "cmds";

    [Fact]
    public async Task ServerOnAHost_CommandCheckBackupAndRestoreHooksRunThereAndTheBackupFileTravelsBothWays()
    {
        await using var fleet = await HostFleetScenario.StartAsync(1);
        var strata = fleet.Strata;

        // Healthy only when its check runs under the agent: run by the control plane, it would never serve.
        var up = await strata.UpAsync(WriteSpec(strata.Home), Deployment);
        Assert.True(up.ExitCode == 0, up.ToString());
        var backup = await strata.RunAsync(HostFleetScenario.Timeout, "backup", "run", Deployment, "--tier", "svc", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var id = backup.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(l => l.GetProperty("type").GetString() == "backup").GetProperty("backup").GetProperty("id").GetString()!;
        var restore = await strata.RunAsync(HostFleetScenario.Timeout, "restore", Deployment, "--tier", "svc", "--backup", id);
        var server = Assert.Single((await strata.StatusAsync(Deployment)).GetProperty("servers").EnumerateArray()).GetProperty("name").GetString()!;
        var restored = Path.Combine(fleet.AgentDir("h1"), "engine", "servers", server, "root", "data", "restored");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        var text = File.ReadAllText(restored);
        Assert.Contains("written at first boot", text, StringComparison.Ordinal);
        Assert.Contains("backup hook run by Strata.Agent", text, StringComparison.Ordinal);
        Assert.Contains("restore hook run by Strata.Agent", File.ReadAllText(restored + ".by"), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(fleet.AgentDir("h1"), "uploads"), "command-*"));
    }

    private static string WriteSpec(TemporaryDirectory home)
    {
        home.WriteFile("cmds/app/run.sh", """
            mkdir -p data && echo "written at first boot" > data/content
            exec sleep 100000
            """);
        home.WriteFile("cmds/app/parent.sh", HostFleetScenario.AgentAncestorScript);
        home.WriteFile("cmds/app/backup.sh", """
            { cat data/content; echo "backup hook run by $(sh parent.sh)"; } > "$STRATA_BACKUP_FILE"
            """);
        home.WriteFile("cmds/app/restore.sh", """
            cp "$STRATA_BACKUP_FILE" data/restored && echo "restore hook run by $(sh parent.sh)" > data/restored.by
            """);
        return home.WriteFile("cmds/strata.yaml", """
            deployment: cmds
            images:
              app:
                from: ./app
                run: sh run.sh
                hooks: { backup: sh backup.sh, restore: sh restore.sh }
            tiers:
              svc:
                image: app
                servers: 1
                health: { command: "grep -q Strata.Agent /proc/$PPID/cmdline", interval: 1s }
                backups:
                  dump: { service: true, every: 1h }
            """);
    }
}
