using System.CommandLine;
using System.Text.Json;
using Strata.Api.Contracts;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary><c>strata audit [--deployment D] [--since 1h] [--json]</c>: who changed what, from the audit log.</summary>
public sealed class AuditCommand(CliContext context)
{
    private readonly Option<string?> _deployment = new("--deployment") { Description = "Only requests to this deployment." };
    private readonly Option<TimeSpan> _since = DurationOption.Create("--since", "Only requests this recent", TimeSpan.FromDays(1));
    private readonly Option<bool> _json = new("--json") { Description = "Print one JSON object per line on stdout." };

    public Command Create()
    {
        var command = new Command("audit", "Show state-changing requests to the API: time, token, role, remote address, method, route, deployment, status (needs an admin token).");
        command.Options.Add(_deployment);
        command.Options.Add(_since);
        command.Options.Add(_json);
        command.SetAction((result, ct) => context.WithControlPlaneAsync(client => RunAsync(result, client, ct), ct));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, ControlPlaneClient client, CancellationToken ct)
    {
        var entries = await client.ReadAuditAsync(result.GetValue(_deployment), result.GetValue(_since), ct).ConfigureAwait(false);
        var json = result.GetValue(_json);
        if (!json)
        {
            await context.Out.WriteLineAsync($"{"TIME",-20} {"TOKEN",-16} {"ROLE",-9} {"REMOTE",-21} {"METHOD",-7} {"STATUS",-6} {"DEPLOYMENT",-16} ROUTE").ConfigureAwait(false);
        }

        foreach (var e in entries)
        {
            await context.Out.WriteLineAsync(json
                ? JsonSerializer.Serialize(e, AccessJsonContext.Default.AuditEntryDto)
                : $"{e.Time,-20:u} {e.Token ?? "-",-16} {e.Role ?? "-",-9} {e.Remote,-21} {e.Method,-7} {e.Status,-6} {e.Deployment ?? "-",-16} {e.Route}").ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }
}
