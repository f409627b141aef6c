using System.CommandLine;
using System.Text.Json;
using Strata.Api.Contracts.Events;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary><c>strata down DEPLOYMENT</c>: deletes a deployment, honouring each volume's deletion policy.</summary>
public sealed class DownCommand(CliContext context)
{
    private readonly Argument<string> _deployment = new("DEPLOYMENT") { Description = "The deployment to delete." };
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "Do not ask before destroying data." };
    private readonly Option<TimeSpan> _timeout = DurationOption.Create("--timeout", "How long to wait", TimeSpan.FromMinutes(5));

    public Command Create()
    {
        var command = new Command("down", "Delete a deployment: stop its load balancers and servers; volumes follow their deletion policy.");
        command.Arguments.Add(_deployment);
        command.Options.Add(_yes);
        command.Options.Add(_timeout);
        command.SetAction((result, ct) => context.WithControlPlaneAsync(client => RunAsync(result, client, ct), ct));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, ControlPlaneClient client, CancellationToken ct)
    {
        var name = result.GetValue(_deployment)!;
        var status = await client.GetStatusAsync(name, ct).ConfigureAwait(false);
        if (!result.GetValue(_yes) && !Confirm(name, status.Servers.Count))
        {
            return ExitCodes.Usage;
        }

        await client.DeleteAsync(name, ct).ConfigureAwait(false);
        await context.Error.WriteLineAsync($"Deleting {name}…").ConfigureAwait(false);
        var (_, exit) = await new ConvergenceWatcher(context, client).WaitAsync(name, long.MaxValue, result.GetValue(_timeout), ct).ConfigureAwait(false);
        if (exit == ExitCodes.Success)
        {
            await context.Error.WriteLineAsync($"{name} is deleted.").ConfigureAwait(false);
        }

        return exit;
    }

    private bool Confirm(string name, int servers)
    {
        if (Console.IsInputRedirected)
        {
            context.Error.WriteLine($"strata: deleting {name} destroys its servers and the volumes whose policy is delete; pass --yes to confirm");
            return false;
        }

        context.Error.Write($"Delete {name} and its {servers} servers (volumes follow their deletion policy)? Type the deployment name to confirm: ");
        return Console.ReadLine()?.Trim() == name;
    }
}

/// <summary><c>strata scale DEPLOYMENT TIER N</c>: sets a tier's desired count within its min and max.</summary>
public sealed class ScaleCommand(CliContext context)
{
    private readonly Argument<string> _deployment = new("DEPLOYMENT");
    private readonly Argument<string> _tier = new("TIER");
    private readonly Argument<int> _count = new("N") { Description = "The desired number of servers." };
    private readonly Option<bool> _noWait = new("--no-wait") { Description = "Return once the change is accepted." };

    public Command Create()
    {
        var command = new Command("scale", "Set how many servers a tier runs (between its min and max) and wait until they serve.");
        command.Arguments.Add(_deployment);
        command.Arguments.Add(_tier);
        command.Arguments.Add(_count);
        command.Options.Add(_noWait);
        command.SetAction((result, ct) => context.WithControlPlaneAsync(client => RunAsync(result, client, ct), ct));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, ControlPlaneClient client, CancellationToken ct)
    {
        var name = result.GetValue(_deployment)!;
        await client.ScaleAsync(name, result.GetValue(_tier)!, result.GetValue(_count), ct).ConfigureAwait(false);
        if (result.GetValue(_noWait))
        {
            return ExitCodes.Success;
        }

        var (_, exit) = await new ConvergenceWatcher(context, client).WaitAsync(name, long.MaxValue, TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
        return exit;
    }
}

/// <summary><c>strata logs DEPLOYMENT SERVER</c>: a server's output, optionally followed.</summary>
public sealed class LogsCommand(CliContext context)
{
    private readonly Argument<string> _deployment = new("DEPLOYMENT");
    private readonly Argument<string> _server = new("SERVER") { Description = "The server's name, as `strata status` shows it." };
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep printing new lines until interrupted or the control plane stops." };
    private readonly Option<int> _tail = new("--tail") { Description = "How many of the last lines to show.", DefaultValueFactory = _ => 100 };

    public Command Create()
    {
        var command = new Command("logs", "Print a server's log.");
        command.Arguments.Add(_deployment);
        command.Arguments.Add(_server);
        command.Options.Add(_follow);
        command.Options.Add(_tail);
        command.SetAction((result, ct) => context.WithControlPlaneAsync(client => RunAsync(result, client, ct), ct));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, ControlPlaneClient client, CancellationToken ct)
    {
        await foreach (var line in client.LogsAsync(result.GetValue(_deployment)!, result.GetValue(_server)!, result.GetValue(_tail), result.GetValue(_follow), ct).ConfigureAwait(false))
        {
            await context.Out.WriteLineAsync(line.Line).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }
}

/// <summary><c>strata events DEPLOYMENT</c>: what happened to a deployment, optionally followed.</summary>
public sealed class EventsCommand(CliContext context)
{
    private readonly Argument<string> _deployment = new("DEPLOYMENT");
    private readonly Option<bool> _follow = new("--follow", "-f") { Description = "Keep printing new events until interrupted or the control plane stops." };
    private readonly Option<bool> _json = new("--json") { Description = "Print one JSON object per line." };

    public Command Create()
    {
        var command = new Command("events", "Print a deployment's events: state changes, membership changes, errors.");
        command.Arguments.Add(_deployment);
        command.Options.Add(_follow);
        command.Options.Add(_json);
        command.SetAction((result, ct) => context.WithControlPlaneAsync(client => RunAsync(result, client, ct), ct));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, ControlPlaneClient client, CancellationToken ct)
    {
        await foreach (var e in client.EventsAsync(result.GetValue(_deployment)!, 0, result.GetValue(_follow), ct).ConfigureAwait(false))
        {
            var text = result.GetValue(_json)
                ? JsonSerializer.Serialize(e, CliJsonContext.Default.DeploymentEvent).ReplaceLineEndings(" ")
                : $"{e.Time:yyyy-MM-dd HH:mm:ss} {e.Severity.ToString().ToLowerInvariant(),-7} {e.Kind,-22} {e.Message}";
            await context.Out.WriteLineAsync(text).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }
}
