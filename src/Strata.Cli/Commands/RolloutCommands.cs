using System.CommandLine;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary><c>strata rollback DEPLOYMENT</c> and <c>strata promote DEPLOYMENT [TIER]</c>: steer a rolling update by hand.</summary>
public sealed class RolloutCommands(CliContext context)
{
    private readonly Argument<string> _deployment = new("DEPLOYMENT");
    private readonly Argument<string?> _tier = new("TIER") { Description = "Only this tier; every waiting tier when left out.", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _noWait = new("--no-wait") { Description = "Return once the request is accepted." };

    public Command CreateRollback()
    {
        var command = new Command("rollback", "Go back to the previous apply: tiers whose image or launch changed are replaced, batch by batch, by servers of the previous one.");
        command.Arguments.Add(_deployment);
        command.Options.Add(_noWait);
        command.SetAction((result, ct) => RunAsync(result, (client, name) => client.RollbackAsync(name, ct), ct));
        return command;
    }

    public Command CreatePromote()
    {
        var command = new Command("promote", "Let a canary rollout roll on to the rest of its tier.");
        command.Arguments.Add(_deployment);
        command.Arguments.Add(_tier);
        command.Options.Add(_noWait);
        command.SetAction((result, ct) => RunAsync(result, (client, name) => client.PromoteAsync(name, result.GetValue(_tier), ct), ct));
        return command;
    }

    private Task<int> RunAsync(ParseResult result, Func<ControlPlaneClient, string, Task> request, CancellationToken ct) =>
        context.WithControlPlaneAsync(client => RunAsync(result, client, request, ct), ct);

    private async Task<int> RunAsync(ParseResult result, ControlPlaneClient client, Func<ControlPlaneClient, string, Task> request, CancellationToken ct)
    {
        var name = result.GetValue(_deployment)!;
        await request(client, name).ConfigureAwait(false);
        if (result.GetValue(_noWait))
        {
            return ExitCodes.Success;
        }

        var (_, exit) = await new ConvergenceWatcher(context, client, expectRollout: false).WaitAsync(name, long.MaxValue, TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
        return exit;
    }
}
