using System.CommandLine;
using System.Text.Json;
using Strata.Api.Contracts;
using Strata.Cli.Client;
using Strata.Common.Text;

namespace Strata.Cli.Commands;

/// <summary><c>strata status [DEPLOYMENT]</c>: deployments, or one deployment's tiers, servers and load balancers.</summary>
public sealed class StatusCommand(CliContext context)
{
    private readonly Argument<string?> _deployment = new("DEPLOYMENT") { Description = "The deployment; all of them when left out.", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON on stdout." };
    private readonly Option<bool> _watch = new("--watch") { Description = "Print again every second until interrupted." };

    public Command Create()
    {
        var command = new Command("status", "Show deployments, their servers (name, tier, address, state, pid) and load balancers.");
        command.Arguments.Add(_deployment);
        command.Options.Add(_json);
        command.Options.Add(_watch);
        command.SetAction((result, ct) => context.WithControlPlaneAsync(client => RunAsync(result, client, ct), ct));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, ControlPlaneClient client, CancellationToken ct)
    {
        do
        {
            await PrintAsync(client, result.GetValue(_deployment), result.GetValue(_json), ct).ConfigureAwait(false);
            if (result.GetValue(_watch))
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }
        while (result.GetValue(_watch) && !ct.IsCancellationRequested);

        return ExitCodes.Success;
    }

    private async Task PrintAsync(ControlPlaneClient client, string? deployment, bool json, CancellationToken ct)
    {
        if (deployment is null)
        {
            var list = await client.ListAsync(ct).ConfigureAwait(false);
            context.Out.WriteLine(json ? JsonSerializer.Serialize(list, CliJsonContext.Default.IReadOnlyListDeploymentSummaryDto) : Table.Deployments(list));
            return;
        }

        var status = await client.GetStatusAsync(deployment, ct).ConfigureAwait(false);
        context.Out.WriteLine(json ? JsonSerializer.Serialize(status, CliJsonContext.Default.DeploymentStatusDto) : Table.Status(status));
    }
}

/// <summary>Plain-text tables that fit an 100-column terminal.</summary>
public static class Table
{
    public static string Deployments(IReadOnlyList<DeploymentSummaryDto> list)
    {
        if (list.Count == 0)
        {
            return "No deployments. `strata up strata.yaml` creates one.";
        }

        var lines = new List<string> { $"{"DEPLOYMENT",-24} {"PHASE",-11} {"IN SERVICE",-10} SERIAL" };
        lines.AddRange(list.Select(d => $"{d.Name,-24} {d.Phase.ToString().ToLowerInvariant(),-11} {d.InService + "/" + d.Servers,-10} {d.Serial}"));
        return string.Join(Environment.NewLine, lines);
    }

    public static string Status(DeploymentStatusDto status)
    {
        var lines = new List<string> { $"{status.Name}: {status.Phase.ToString().ToLowerInvariant()} (serial {status.Serial})" };
        if (status.Message is not null)
        {
            lines.Add($"  {status.Message}");
        }

        lines.Add("");
        lines.Add($"{"TIER",-20} {"IN SERVICE",-11} {"DESIRED",-8} MIN-MAX");
        // A tier's message says why it is short of its desired count (a launch error, a dependency or a host it waits for).
        lines.AddRange(status.Tiers.Select(t => $"{t.Name,-20} {t.InService,-11} {t.Desired,-8} {t.Min}-{t.Max}"
            + (t.Message is null ? "" : $"{Environment.NewLine}  └ {t.Message}")));
        lines.Add("");
        lines.Add($"{"SERVER",-30} {"TIER",-10} {"ADDRESS",-15} {"STATE",-12} {"PID",-8} ZONE");
        lines.AddRange(status.Servers.Select(s => $"{s.Name,-30} {s.Tier,-10} {s.Address ?? "-",-15} {s.State,-12} {s.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",-8} {(s.Zone.Length > 0 ? s.Zone : "-")}"
            + (s.Message is null ? "" : $"{Environment.NewLine}  └ {s.Message}")));
        AddRecoveredVolumes(lines, status);
        AddLoadBalancers(lines, status);

        if (status.Outputs.Count > 0)
        {
            lines.Add("");
            lines.AddRange(status.Outputs.Select(o => $"{o.Key} = {o.Value}"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static void AddRecoveredVolumes(List<string> lines, DeploymentStatusDto status)
    {
        foreach (var volume in status.Volumes.Where(v => v.Recovered is not null))
        {
            var r = volume.Recovered!;
            lines.Add("");
            lines.Add($"volume {volume.Name} ({volume.Tier}/{volume.Volume}) was restored at {r.RestoredAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z from snapshot {r.Snapshot} ({r.Store} store)"
                + $" in place of {r.LostVolume} on lost host {r.LostHost}:");
            lines.Add($"  recovery point {r.RecoveryPoint.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z, {Ages.Of(TimeSpan.FromSeconds(r.RecoveryPointAgeSeconds))} before it was restored; what was written after it is on the lost host only");
        }
    }

    private static void AddLoadBalancers(List<string> lines, DeploymentStatusDto status)
    {
        foreach (var lb in status.LoadBalancers)
        {
            lines.Add("");
            var where = lb.Host is null ? "" : $" on host {lb.Host}";
            lines.Add($"load balancer {lb.Name} ({lb.Driver}, {lb.State}{where}): {lb.Url ?? "-"} → {(lb.Members.Count == 0 ? "no servers" : string.Join(", ", lb.Members))}");
            if (lb.Message is not null)
            {
                lines.Add($"  └ {lb.Message}");
            }

            if (lb.CertificateNotAfter is { } expiry)
            {
                lines.Add($"  certificate expires {expiry:yyyy-MM-dd}");
            }

            if (lb.Traffic is { } traffic)
            {
                lines.Add($"  {traffic.RequestsPerSecond:0.#} req/s, {traffic.ErrorPercent:0.##}% errors, {traffic.OpenConnections} open connections");
                lines.AddRange(traffic.Members.Select(m =>
                    $"    {m.Name,-30} {m.RequestsPerSecond,7:0.#} req/s  p50 {m.P50Milliseconds,6:0.#} ms  p99 {m.P99Milliseconds,6:0.#} ms  {m.ErrorPercent:0.##}% errors{(m.Ejected ? "  (ejected)" : "")}"));
            }
        }
    }
}
