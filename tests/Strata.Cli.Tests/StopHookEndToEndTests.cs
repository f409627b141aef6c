using System.Diagnostics;
using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// The status-page database is stopped by its image's <c>stop</c> hook (a fast shutdown) before any signal, even
/// while a client holds a connection open: the final snapshot taken on deletion is of a cleanly shut down cluster,
/// so PostgreSQL started from it needs no crash recovery.
/// </summary>
[Trait("kind", "e2e")]
public sealed class StopHookEndToEndTests
{
    private const string Deployment = "status-page";
    private const string Password = "s3cret-pw";
    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Down_ClientConnected_StopHookShutsDownCleanlyAndFinalSnapshotNeedsNoRecovery()
    {
        await using var runner = new StrataRunner();
        var front = LoopbackPorts.Reserve();
        var spec = runner.CopyExample("status-page", new Dictionary<string, string> { ["127.0.0.1:8090"] = $"{front}", ["front:8090"] = $"front:{front.Port}" });
        await UpAsync(runner, spec);
        using var client = await ConnectedClientAsync(runner);

        var down = await runner.RunAsync(s_long, "down", Deployment, "--yes");
        Assert.True(down.ExitCode == 0, down.ToString());
        await UpAsync(runner, spec);
        var snapshot = await FinalSnapshotAsync(runner);
        var before = HelloEndToEndTests.Servers(await runner.StatusAsync(Deployment)).Single(s => s.Tier == "db").Name;
        var restore = await runner.RunAsync(s_long, "restore", Deployment, "--tier", "db", "--snapshot", snapshot);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var restored = System.Text.RegularExpressions.Regex.Match(restore.Out + restore.Error, @"; (\S+) runs on it").Groups[1].Value;
        Assert.True(restored.Length > 0 && restored != before, restore.ToString());
        var replacedEvents = await EventsOfAsync(runner, before);
        Assert.DoesNotContain(replacedEvents, e => e.Kind == "server.failed");
        Assert.Contains(replacedEvents, e => e.Kind == "server.replaced" && e.Message.Contains($"replaced by restore of snapshot {snapshot}", StringComparison.Ordinal));

        var log = await DatabaseLogAsync(runner, restored);
        Assert.Contains("database system was shut down at", log, StringComparison.Ordinal);
        Assert.DoesNotContain("not properly shut down", log, StringComparison.Ordinal);
        Assert.DoesNotContain("automatic recovery in progress", log, StringComparison.Ordinal);
    }

    /// <summary>The kind and message of every event of <paramref name="server"/>.</summary>
    private static async Task<List<(string Kind, string Message)>> EventsOfAsync(StrataRunner runner, string server)
    {
        var events = await runner.RunAsync(TimeSpan.FromSeconds(30), "events", Deployment, "--json");
        Assert.True(events.ExitCode == 0, events.ToString());
        return [.. events.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(e => e.TryGetProperty("server", out var named) && named.GetString() == server)
            .Select(e => (e.GetProperty("kind").GetString()!, e.GetProperty("message").GetString()!))];
    }

    private static async Task UpAsync(StrataRunner runner, string spec)
    {
        var up = await runner.UpAsync(spec, Deployment, "--param", $"dbPassword={Password}", "--param", "webServers=1");
        Assert.True(up.ExitCode == 0, up.ToString());
    }

    /// <summary>A psql session that stays connected: a plain SIGTERM (smart shutdown) would wait for it.</summary>
    private static async Task<Process> ConnectedClientAsync(StrataRunner runner)
    {
        var db = HelloEndToEndTests.Servers(await runner.StatusAsync(Deployment)).Single(s => s.Tier == "db");
        var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-h", db.Address, "-p", "5432", "-U", "status", "-d", "status", "-c", "SELECT pg_sleep(600)" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PGPASSWORD"] = Password;
        var psql = Process.Start(start)!;
        await Eventually.WaitAsync(async () => await ScalarAsync(db.Address, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'") == "1",
            "the client's session to be open");
        return psql;
    }

    private static async Task<string> ScalarAsync(string host, string sql)
    {
        var start = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-h", host, "-p", "5432", "-U", "status", "-d", "status", "-At", "-c", sql })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PGPASSWORD"] = Password;
        using var psql = Process.Start(start)!;
        var output = await psql.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await psql.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return output.Trim();
    }

    private static async Task<string> FinalSnapshotAsync(StrataRunner runner)
    {
        var list = await runner.RunAsync(TimeSpan.FromSeconds(30), "backups", "list", Deployment, "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var snapshots = JsonDocument.Parse(list.Out).RootElement.GetProperty("backups").EnumerateArray()
            .Where(b => b.GetProperty("kind").GetString() == "snapshot").ToList();
        Assert.True(snapshots.Count == 1, list.Out);
        return snapshots[0].GetProperty("id").GetString()!;
    }

    /// <summary>The log of the database server that runs on the restored volume, once it accepts connections.</summary>
    private static async Task<string> DatabaseLogAsync(StrataRunner runner, string server)
    {
        var log = "";
        await Eventually.WaitAsync(async () =>
        {
            var logs = await runner.RunAsync(TimeSpan.FromSeconds(30), "logs", Deployment, server);
            log = logs.Out;
            return log.Contains("database system is ready to accept connections", StringComparison.Ordinal);
        }, "the restored database to accept connections", TimeSpan.FromMinutes(2));
        return log;
    }
}
