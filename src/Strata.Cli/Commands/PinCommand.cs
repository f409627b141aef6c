using System.CommandLine;
using System.Text.Json;
using Strata.Api.Contracts;
using Strata.Cli.Client;
using Strata.ControlPlane.Deployments;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata pin DEPLOYMENT SERVER [--ttl 1h] [--any-state] [--load-balancer NAME] [--json]</c>: prints a signed pin that
/// sends a client's requests to one server. The pin value goes to stdout alone, so a script can use
/// <c>curl -H "X-Strata-Server: $(strata pin hello web-x)"</c>; how to use it goes to stderr.
/// </summary>
public sealed class PinCommand(CliContext context)
{
    private readonly Argument<string> _deployment = new("DEPLOYMENT");
    private readonly Argument<string> _server = new("SERVER") { Description = "The server's name, as `strata status` shows it." };
    private readonly Option<TimeSpan> _ttl = DurationOption.Create("--ttl", "How long the pin is valid", ServerPins.DefaultTtl);
    private readonly Option<bool> _anyState = new("--any-state")
    {
        Description = "Let the pin reach the server also while it is out of rotation (booting, unhealthy, draining), to try a new server before it joins.",
    };

    private readonly Option<string?> _loadBalancer = new("--load-balancer") { Description = "The load balancer, when several send to the server's tier." };
    private readonly Option<bool> _json = new("--json") { Description = "Print the pin and what it grants as JSON." };

    public Command Create()
    {
        var command = new Command("pin", "Print a signed pin (for the X-Strata-Server header or cookie) that sends requests to one server.");
        command.Arguments.Add(_deployment);
        command.Arguments.Add(_server);
        command.Options.Add(_ttl);
        command.Options.Add(_anyState);
        command.Options.Add(_loadBalancer);
        command.Options.Add(_json);
        command.SetAction((result, ct) => context.WithControlPlaneAsync(client => RunAsync(result, client, ct), ct));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, ControlPlaneClient client, CancellationToken ct)
    {
        var request = new PinRequest
        {
            Server = result.GetValue(_server)!,
            TtlSeconds = (long)Math.Ceiling(result.GetValue(_ttl).TotalSeconds),
            AnyState = result.GetValue(_anyState),
            LoadBalancer = result.GetValue(_loadBalancer),
        };
        var pin = await client.PinAsync(result.GetValue(_deployment)!, request, ct).ConfigureAwait(false);
        if (result.GetValue(_json))
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(pin, ApiJsonContext.Default.PinDto)).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        await context.Out.WriteLineAsync(pin.Value).ConfigureAwait(false);
        var scope = pin.AnyState ? "in any state" : "while it is in rotation";
        await context.Error.WriteLineAsync(
            $"pins load balancer {pin.LoadBalancer} to {pin.Server} {scope} until {pin.ExpiresAt:u}; send it as '{pin.Header}: <pin>' or as a cookie {pin.Header}=<pin>")
            .ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
