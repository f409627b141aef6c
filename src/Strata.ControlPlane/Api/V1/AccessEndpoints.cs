using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Api.Contracts;
using Strata.ControlPlane.Access;
using Strata.ControlPlane.Deployments;

namespace Strata.ControlPlane.Api.V1;

/// <summary><c>/api/v1/tokens</c> and <c>/api/v1/audit</c>: for admin tokens only.</summary>
public static class AccessEndpoints
{
    /// <summary>The most audit entries one request returns (the newest ones).</summary>
    public const int MaxAuditEntries = 10_000;

    public static RouteGroupBuilder MapStrataAccessApiV1(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1");
        api.MapGet("/tokens", ListAsync).RequireRole(TokenRole.Admin);
        api.MapPost("/tokens", CreateAsync).RequireRole(TokenRole.Admin);
        api.MapDelete("/tokens/{token}", RevokeAsync).RequireRole(TokenRole.Admin);
        api.MapGet("/audit", ReadAuditAsync).RequireRole(TokenRole.Admin);
        return api;
    }

    private static async Task<IResult> ListAsync(IAccessStore store, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var tokens = await store.ListTokensAsync(ct).ConfigureAwait(false);
        return Results.Json<IReadOnlyList<TokenDto>>([.. tokens.Select(t => ToDto(t, now))], AccessJsonContext.Default.IReadOnlyListTokenDto);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IAccessStore store, TimeProvider time, CancellationToken ct)
    {
        var body = await ReadAsync(request, ct).ConfigureAwait(false);
        if (!TokenSecrets.IsValidName(body.Name) || body.Name == ApiToken.CliTokenName)
        {
            throw new BadHttpRequestException($"'{body.Name}' cannot name a token: use 1 to 64 letters, digits, '.', '_' or '-' ('{ApiToken.CliTokenName}' is the CLI's own)");
        }

        if (!TokenRoles.TryParse(body.Role, out var role))
        {
            throw new BadHttpRequestException($"'{body.Role}' is not a role; use viewer, operator or admin");
        }

        if (body.ExpiresInSeconds is <= 0)
        {
            throw new BadHttpRequestException("expiresInSeconds must be positive");
        }

        var now = time.GetUtcNow();
        var secret = TokenSecrets.Generate();
        var token = new ApiToken
        {
            Name = body.Name, Role = role, Hash = TokenSecrets.Hash(secret), CreatedAt = now,
            ExpiresAt = body.ExpiresInSeconds is { } seconds ? now.AddSeconds(seconds) : null,
        };
        try
        {
            await store.AddTokenAsync(token, ct).ConfigureAwait(false);
        }
        catch (TokenExistsException ex)
        {
            throw new ConflictException(ex.Message);
        }

        return Results.Json(new TokenCreatedDto { Token = ToDto(token, now), Secret = secret }, AccessJsonContext.Default.TokenCreatedDto, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> RevokeAsync(string token, IAccessStore store, CancellationToken ct)
    {
        if (token == ApiToken.CliTokenName)
        {
            throw new ConflictException($"'{ApiToken.CliTokenName}' is the CLI's own token (the home folder's token file) and cannot be revoked");
        }

        return await store.RevokeTokenAsync(token, ct).ConfigureAwait(false)
            ? Results.NoContent()
            : throw new NotFoundException($"no token named '{token}'; `strata token list` lists them");
    }

    private static async Task<IResult> ReadAuditAsync(string? deployment, long? sinceSeconds, IAccessStore store, TimeProvider time, CancellationToken ct)
    {
        var since = sinceSeconds is { } seconds ? time.GetUtcNow().AddSeconds(-seconds) : (DateTimeOffset?)null;
        var entries = await store.ReadAuditAsync(new AuditQuery(deployment, since, MaxAuditEntries), ct).ConfigureAwait(false);
        return Results.Json<IReadOnlyList<AuditEntryDto>>([.. entries.Select(ToDto)], AccessJsonContext.Default.IReadOnlyListAuditEntryDto);
    }

    private static async Task<TokenCreateRequest> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await request.ReadFromJsonAsync(AccessJsonContext.Default.TokenCreateRequest, ct).ConfigureAwait(false)
                ?? throw new BadHttpRequestException("a body { \"name\": N, \"role\": R } is required");
        }
        catch (JsonException ex)
        {
            throw new BadHttpRequestException($"the body is not a valid token request: {ex.Message}");
        }
    }

    private static TokenDto ToDto(ApiToken token, DateTimeOffset now) => new()
    {
        Name = token.Name, Role = token.Role.Name(), CreatedAt = token.CreatedAt, ExpiresAt = token.ExpiresAt, Expired = token.IsExpired(now),
    };

    private static AuditEntryDto ToDto(AuditEntry entry) => new()
    {
        Time = entry.Time, Token = entry.Token, Role = entry.Role?.Name(), Remote = entry.Remote, Method = entry.Method,
        Route = entry.Route, Deployment = entry.Deployment, Status = entry.Status,
    };
}
