using System.CommandLine;
using Strata.Cli.Client;
using Strata.Cli.Commands;

namespace Strata.Cli;

/// <summary>The <c>strata</c> command line: builds the command tree and runs it.</summary>
public static class StrataCli
{
    public static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("Strata: declarative deployments of servers, load balancers and backups.");
        root.Subcommands.Add(new ValidateCommand(context).Create());
        root.Subcommands.Add(new PlanCommand(context).Create());
        root.Subcommands.Add(new UpCommand(context).Create());
        root.Subcommands.Add(new StatusCommand(context).Create());
        root.Subcommands.Add(new ScaleCommand(context).Create());
        root.Subcommands.Add(new LogsCommand(context).Create());
        root.Subcommands.Add(new EventsCommand(context).Create());
        root.Subcommands.Add(new PinCommand(context).Create());
        var rollouts = new RolloutCommands(context);
        root.Subcommands.Add(rollouts.CreateRollback());
        root.Subcommands.Add(rollouts.CreatePromote());
        root.Subcommands.Add(new BackupCommands(context).CreateBackup());
        root.Subcommands.Add(new BackupCommands(context).CreateBackups());
        root.Subcommands.Add(new BackupCommands(context).CreateRestore());
        root.Subcommands.Add(new BackupCommands(context).CreateDrill());
        root.Subcommands.Add(new DownCommand(context).Create());
        root.Subcommands.Add(new ServerCommand(context).Create());
        root.Subcommands.Add(new TokenCommands(context).Create());
        var hosts = new HostCommands(context);
        root.Subcommands.Add(hosts.CreateHost());
        root.Subcommands.Add(hosts.CreateHosts());
        root.Subcommands.Add(new AuditCommand(context).Create());
        root.Subcommands.Add(new ProxyCommand().Create());
        return root;
    }

    public static Task<int> RunAsync(string[] args) => RunAsync(args, CliContext.FromEnvironment());

    public static async Task<int> RunAsync(string[] args, CliContext context)
    {
        var result = Build(context).Parse(args);
        context.Timeline.Mark("command line parsed");
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                await context.Error.WriteLineAsync($"strata: {error.Message}").ConfigureAwait(false);
            }

            await context.Error.WriteLineAsync("Run `strata --help` for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await InvokeAsync(result, context).ConfigureAwait(false);
    }

    /// <summary>Runs the parsed command; a failure the user can act on is told on stderr and ends with its exit code.</summary>
    private static async Task<int> InvokeAsync(ParseResult result, CliContext context)
    {
        try
        {
            var exit = await result.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
            context.Timeline.Mark($"done (exit {exit})");
            return exit;
        }
        catch (ControlPlaneException ex)
        {
            await context.Error.WriteLineAsync($"strata: {ex.Message}").ConfigureAwait(false);
            foreach (var error in ex.Errors)
            {
                await context.Error.WriteLineAsync(error).ConfigureAwait(false);
            }

            return ex.ExitCode;
        }
        catch (CliUsageException ex)
        {
            await context.Error.WriteLineAsync($"strata: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (UntrustedListenerException ex)
        {
            await context.Error.WriteLineAsync($"strata: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.ControlPlaneUnavailable;
        }
        catch (HttpRequestException ex)
        {
            await context.Error.WriteLineAsync($"strata: the control plane did not answer: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.ControlPlaneUnavailable;
        }
        catch (Exception ex) when (ex is Strata.Planning.PlanOutOfDateException or IOException)
        {
            await context.Error.WriteLineAsync($"strata: {ex.Message}").ConfigureAwait(false);
            return ex is IOException ? ExitCodes.Usage : ExitCodes.Conflict;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Interrupted;
        }
    }
}
