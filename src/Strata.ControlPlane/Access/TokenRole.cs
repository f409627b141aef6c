using Microsoft.AspNetCore.Builder;

namespace Strata.ControlPlane.Access;

/// <summary>
/// What a token may do. Each role includes the ones below it: a viewer reads; an operator also changes deployments
/// (up, scale, rollback, promote, backup, restore) and reads server logs; an admin also manages tokens, reads the
/// audit log, stops the server and deletes deployments.
/// </summary>
public enum TokenRole
{
    Viewer = 1,
    Operator = 2,
    Admin = 3,
}

/// <summary>Endpoint metadata: the least role a token needs for this endpoint. An endpoint without it needs admin.</summary>
public sealed record RequiredRole(TokenRole Role);

/// <summary>Endpoint metadata: the endpoint answers without a token (only <c>GET /healthz</c>, which reads nothing).</summary>
public sealed record AnonymousEndpoint;

public static class TokenRoles
{
    /// <summary>The role's name as the CLI and the API write it: <c>viewer</c>, <c>operator</c>, <c>admin</c>.</summary>
    public static string Name(this TokenRole role) => role switch
    {
        TokenRole.Viewer => "viewer",
        TokenRole.Operator => "operator",
        TokenRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown role"),
    };

    public static bool TryParse(string? text, out TokenRole role)
    {
        role = text switch
        {
            "viewer" => TokenRole.Viewer,
            "operator" => TokenRole.Operator,
            "admin" => TokenRole.Admin,
            _ => 0,
        };
        return role != 0;
    }

    /// <summary>True when a token of <paramref name="held"/> may call an endpoint that requires <paramref name="required"/>.</summary>
    public static bool Includes(this TokenRole held, TokenRole required) => held >= required;

    /// <summary>Marks the endpoints with the least role a token needs to call them.</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, TokenRole role)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiredRole(role));
}
