using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Strata.Api.Contracts;
using Strata.Cli.Client;
using Strata.Common.Text;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata backup run|verify</c>, <c>strata backups list</c> and <c>strata restore</c>. With <c>--json</c> every
/// NDJSON line of the control plane (progress, then results) goes to stdout; otherwise progress goes to stderr and a
/// summary to stdout. A backup, restore or drill that fails exits with <see cref="Failed"/>.
/// </summary>
public sealed class BackupCommands(CliContext context)
{
    /// <summary>The exit code of a failed backup, restore or drill: the deployment is not in the state asked for.</summary>
    public const int Failed = ExitCodes.BackupFailed;

    private readonly Argument<string> _deployment = new("DEPLOYMENT");
    private readonly Option<string?> _tier = new("--tier") { Description = "Only this tier." };
    private readonly Option<string?> _policy = new("--policy") { Description = "Only this backup policy." };
    private readonly Option<bool> _json = new("--json") { Description = "Write NDJSON progress and results to stdout." };

    public Command CreateBackup()
    {
        var run = new Command("run", "Take a backup now with every policy of the deployment, or of one tier or policy.");
        AddCommon(run);
        run.Options.Add(_policy);
        run.SetAction((result, ct) => StreamAsync(result, (client, name) => client.RunBackupAsync(name, result.GetValue(_tier), result.GetValue(_policy), ct), ct));
        var verify = new Command("verify", "Restore drill: restore the latest backup onto a scratch server, check its health and verify hook, tear it down.");
        AddCommon(verify);
        verify.Options.Add(_policy);
        verify.SetAction((result, ct) => StreamAsync(result, (client, name) => client.VerifyBackupAsync(name, result.GetValue(_tier), result.GetValue(_policy), ct), ct));
        var command = new Command("backup", "Take and verify backups.");
        command.Subcommands.Add(run);
        command.Subcommands.Add(verify);
        return command;
    }

    public Command CreateBackups()
    {
        var list = new Command("list", "The deployment's snapshots and service backups, newest first, and which stores hold them.");
        list.Arguments.Add(_deployment);
        list.Options.Add(_json);
        list.SetAction((result, ct) => context.WithControlPlaneAsync(client => ListAsync(result, client, ct), ct));
        var command = new Command("backups", "List backups: `strata backups DEPLOYMENT` is `strata backups list DEPLOYMENT`.");
        command.Subcommands.Add(list);
        command.Arguments.Add(_deployment);
        command.Options.Add(_json);
        command.Action = list.Action;
        return command;
    }

    public Command CreateRestore()
    {
        var tier = new Option<string>("--tier") { Description = "The tier to restore.", Required = true };
        var snapshot = new Option<string?>("--snapshot") { Description = "A snapshot id: the tier's server is replaced by one on the restored volume." };
        var backup = new Option<string?>("--backup") { Description = "A service backup id: the image's restore hook is run with it." };
        var from = new Option<string>("--from") { Description = "The store to restore from.", DefaultValueFactory = _ => "primary" };
        from.AcceptOnlyFromAmong("primary", "dr");
        var fromDeployment = new Option<string?>("--from-deployment")
        {
            Description = "Restore a backup that another deployment sharing the store made (refused otherwise).",
        };
        var command = new Command("restore", "Restore a tier from a snapshot or a service backup.");
        command.Arguments.Add(_deployment);
        command.Options.Add(tier);
        command.Options.Add(snapshot);
        command.Options.Add(backup);
        command.Options.Add(from);
        command.Options.Add(fromDeployment);
        command.Options.Add(_json);
        command.Validators.Add(result =>
        {
            if ((result.GetValue(snapshot) is null) == (result.GetValue(backup) is null))
            {
                result.AddError("name exactly one of --snapshot ID and --backup ID");
            }
        });
        command.SetAction((result, ct) => StreamAsync(result, (client, name) => client.RestoreAsync(name, new RestoreRequest
        {
            Tier = result.GetValue(tier)!,
            Snapshot = result.GetValue(snapshot),
            Backup = result.GetValue(backup),
            From = result.GetValue(from),
            FromDeployment = result.GetValue(fromDeployment),
        }, ct), ct));
        return command;
    }

    public Command CreateDrill()
    {
        var region = new Argument<string>("REGION") { Description = "The region to do without: every host in it counts as lost." };
        var command = new Command(
            "region",
            "Region loss drill: start a scratch copy of the deployment on hosts outside REGION, its volumes from the disaster-recovery store, "
            + "check that it serves through its load balancers, report the recovery time and point, tear it down.");
        command.Arguments.Add(_deployment);
        command.Arguments.Add(region);
        command.Options.Add(_json);
        command.SetAction((result, ct) => StreamAsync(result, (client, name) => client.DrillRegionAsync(name, result.GetValue(region)!, ct), ct));
        var drill = new Command("drill", "Rehearse a disaster for real on a scratch copy of a deployment.");
        drill.Subcommands.Add(command);
        return drill;
    }

    private void AddCommon(Command command)
    {
        command.Arguments.Add(_deployment);
        command.Options.Add(_tier);
        command.Options.Add(_json);
    }

    private async Task<int> ListAsync(ParseResult result, ControlPlaneClient client, CancellationToken ct)
    {
        var list = await client.ListBackupsAsync(result.GetValue(_deployment)!, ct).ConfigureAwait(false);
        if (result.GetValue(_json))
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(list, BackupJsonContext.Default.BackupListDto)).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        await context.Out.WriteLineAsync($"{"ID",-26} {"KIND",-8} {"TIER",-10} {"POLICY",-18} {"CREATED",-20} {"SIZE",10}  {"ENCRYPTED",-9}  STORES").ConfigureAwait(false);
        foreach (var b in list.Backups)
        {
            await context.Out.WriteLineAsync($"{b.Id,-26} {b.Kind,-8} {b.Tier,-10} {b.Policy ?? b.Volume ?? "",-18} {b.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),-20} {Size(b.Bytes),10}  {(b.Encrypted ? "yes" : "no"),-9}  {string.Join(',', b.Stores)}").ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private Task<int> StreamAsync(ParseResult result, Func<ControlPlaneClient, string, IAsyncEnumerable<BackupStreamLine>> request, CancellationToken ct) =>
        context.WithControlPlaneAsync(client => StreamAsync(result, client, request), ct);

    private async Task<int> StreamAsync(ParseResult result, ControlPlaneClient client, Func<ControlPlaneClient, string, IAsyncEnumerable<BackupStreamLine>> request)
    {
        var json = result.GetValue(_json);
        var exit = ExitCodes.Success;
        await foreach (var line in request(client, result.GetValue(_deployment)!).ConfigureAwait(false))
        {
            if (line.Type == "error" || line.Drill is { Passed: false } || line.RegionDrill is { Passed: false })
            {
                exit = Failed;
            }

            if (json)
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(line, BackupJsonContext.Default.BackupStreamLine)).ConfigureAwait(false);
            }
            else
            {
                await WriteHumanAsync(line).ConfigureAwait(false);
            }
        }

        return exit;
    }

    private async Task WriteHumanAsync(BackupStreamLine line)
    {
        var text = line switch
        {
            { Progress: { } p } => $"  {Count(p.FilesRead, "file")}, {Size(p.BytesRead)} read, {Count(p.ChunksUploaded, "chunk")} uploaded ({Size(p.BytesUploaded)}), {p.ChunksReused} reused",
            { Backup: { } b } => $"backup {b.Id}: {b.Kind} of tier {b.Tier} ({b.Policy}) on {b.Server}, {Size(b.Bytes)}, {(b.Encrypted ? "encrypted" : "not encrypted")}",
            { Restore: { } r } => $"restored tier {r.Tier} from {r.Kind} {r.Id} ({r.Store} store) in {r.DurationSeconds:0.#}s; {r.Server} runs on it",
            { Drill: { } d } => $"drill {(d.Passed ? "passed" : "FAILED")}: {d.Tier}/{d.Policy} {d.BackupId}: {d.Message}",
            { Waiting: { } w } => $"  waiting: {w}",
            { Step: { } step } => $"  {step}",
            { RegionDrill: { } r } => RegionDrillText(r),
            _ => $"strata: {line.Error}",
        };
        await (line.Progress is not null || line.Error is not null || line.Waiting is not null || line.Step is not null ? context.Error : context.Out).WriteLineAsync(text).ConfigureAwait(false);
    }

    private static string RegionDrillText(RegionDrillResultDto r)
    {
        if (!r.Passed)
        {
            return $"region drill of {r.Region} FAILED: {r.Message}";
        }

        var lines = new List<string> { $"region drill of {r.Region} passed: {r.Message}", $"  recovery time   {r.RecoveryTimeSeconds:0.0}s, from the drill's start to serving" };
        lines.Add(r.RecoveryPointSeconds is { } rpo
            ? $"  recovery point  {Ages.Of(TimeSpan.FromSeconds(rpo))}: the data restored is that old"
            : "  recovery point  none: no volume data to restore");
        lines.AddRange(r.Servers.Select(s => $"  {s.Tier,-10} {s.Name,-34} host {s.Host ?? "?"} (zone {s.Zone}, region {s.Region ?? "none"}) {s.Address}, healthy after {s.HealthySeconds:0.0}s"));
        lines.AddRange(r.LoadBalancers.Select(l => $"  {l.Name,-10} {l.Url} on {(l.Host is null ? "the control plane's machine" : $"host {l.Host}")}: HTTP {l.StatusCode}"));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Count(long count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
