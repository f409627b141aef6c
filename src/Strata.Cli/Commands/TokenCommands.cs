using System.CommandLine;
using System.Text.Json;
using Strata.Api.Contracts;
using Strata.Cli.Client;
using Strata.Spec.Grammar;

namespace Strata.Cli.Commands;

/// <summary><c>strata token create|list|revoke</c>: tokens for other clients of the API, each with a role.</summary>
public sealed class TokenCommands(CliContext context)
{
    private readonly Argument<string> _name = new("NAME") { Description = "The token's name, shown in the audit log." };
    private readonly Option<string> _role = new("--role") { Description = "viewer (reads), operator (also changes deployments), admin (also tokens, server stop, deletion).", Required = true };
    private readonly Option<string?> _expires = new("--expires") { Description = "Stop accepting the token after this long (e.g. 12h, 30d); never when left out." };
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON on stdout." };

    public Command Create()
    {
        var create = new Command("create", "Create a token and print it; only its hash is kept, so it is shown this once.");
        create.Arguments.Add(_name);
        create.Options.Add(_role);
        create.Options.Add(_expires);
        create.Options.Add(_json);
        create.Validators.Add(result =>
        {
            if (result.GetValue(_role) is { } role && role is not ("viewer" or "operator" or "admin"))
            {
                result.AddError($"'{role}' is not a role for --role; use viewer, operator or admin");
            }

            if (result.GetValue(_expires) is { } text && !(SpecValues.TryParseDuration(text, out var expires) && expires > TimeSpan.Zero))
            {
                result.AddError($"'{text}' is not a duration for --expires; write e.g. 12h or 30d");
            }
        });
        create.SetAction(CreateAsync);

        var list = new Command("list", "List tokens: name, role, creation and expiry (never the secrets).");
        list.Options.Add(_json);
        list.SetAction(ListAsync);

        var revoke = new Command("revoke", "Revoke a token: it is refused from the next request on.");
        revoke.Arguments.Add(_name);
        revoke.SetAction(RevokeAsync);

        var command = new Command("token", "Manage the API's tokens (needs an admin token).");
        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        command.Subcommands.Add(revoke);
        return command;
    }

    private Task<int> CreateAsync(ParseResult result, CancellationToken ct) => context.WithControlPlaneAsync(async client =>
    {
        TimeSpan? expires = result.GetValue(_expires) is { } text && SpecValues.TryParseDuration(text, out var parsed) ? parsed : null;
        var request = new TokenCreateRequest { Name = result.GetValue(_name)!, Role = result.GetValue(_role)!, ExpiresInSeconds = (long?)expires?.TotalSeconds };
        var created = await client.CreateTokenAsync(request, ct).ConfigureAwait(false);
        if (result.GetValue(_json))
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(created, AccessJsonContext.Default.TokenCreatedDto)).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var expiry = created.Token.ExpiresAt is { } at ? $"expires {at:u}" : "does not expire";
        await context.Error.WriteLineAsync($"Created the {created.Token.Role} token '{created.Token.Name}' ({expiry}). It is shown only this once; give it as STRATA_TOKEN or 'Authorization: Bearer …':").ConfigureAwait(false);
        await context.Out.WriteLineAsync(created.Secret).ConfigureAwait(false);
        return ExitCodes.Success;
    }, ct);

    private Task<int> ListAsync(ParseResult result, CancellationToken ct) => context.WithControlPlaneAsync(async client =>
    {
        var tokens = await client.ListTokensAsync(ct).ConfigureAwait(false);
        if (result.GetValue(_json))
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(tokens, AccessJsonContext.Default.IReadOnlyListTokenDto)).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        await context.Out.WriteLineAsync($"{"NAME",-24} {"ROLE",-9} {"CREATED",-20} EXPIRES").ConfigureAwait(false);
        foreach (var token in tokens)
        {
            var expiry = token.ExpiresAt is { } at ? $"{at:u}{(token.Expired ? " (expired)" : "")}" : "never";
            await context.Out.WriteLineAsync($"{token.Name,-24} {token.Role,-9} {token.CreatedAt,-20:u} {expiry}").ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }, ct);

    private Task<int> RevokeAsync(ParseResult result, CancellationToken ct) => context.WithControlPlaneAsync(async client =>
    {
        var name = result.GetValue(_name)!;
        await client.RevokeTokenAsync(name, ct).ConfigureAwait(false);
        await context.Error.WriteLineAsync($"Revoked the token '{name}'.").ConfigureAwait(false);
        return ExitCodes.Success;
    }, ct);
}
