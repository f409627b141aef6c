namespace Strata.ControlPlane.Access;

/// <summary>One state-changing request as the audit log keeps it. Bodies, query strings and parameter values are never kept.</summary>
public sealed record AuditEntry
{
    public long Id { get; init; }

    public required DateTimeOffset Time { get; init; }

    /// <summary>The token's name; null when the request carried no valid token.</summary>
    public string? Token { get; init; }

    public TokenRole? Role { get; init; }

    /// <summary>The caller's address and port.</summary>
    public required string Remote { get; init; }

    public required string Method { get; init; }

    /// <summary>The route template, e.g. <c>/api/v1/deployments/{name}/tiers/{tier}/scale</c>; never the path as sent.</summary>
    public required string Route { get; init; }

    public string? Deployment { get; init; }

    /// <summary>The HTTP status the request was answered with.</summary>
    public required int Status { get; init; }
}

/// <summary>Which audit entries to read: all by default, newest last.</summary>
public sealed record AuditQuery(string? Deployment = null, DateTimeOffset? Since = null, int Max = 1000);

/// <summary>Raised when a token name is taken.</summary>
public sealed class TokenExistsException(string name) : Exception($"a token named '{name}' exists; revoke it first or choose another name");

/// <summary>
/// Tokens (hashes only) and the audit log, kept in the state store's database. Chosen with the state store; the
/// embedded default is SQLite.
/// </summary>
public interface IAccessStore
{
    /// <summary>The token whose secret hashes to <paramref name="hash"/>, or null.</summary>
    Task<ApiToken?> FindByHashAsync(string hash, CancellationToken ct);

    Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken ct);

    /// <summary>Adds a token; throws <see cref="TokenExistsException"/> when the name is taken.</summary>
    Task AddTokenAsync(ApiToken token, CancellationToken ct);

    /// <summary>Saves the token, replacing one of the same name.</summary>
    Task PutTokenAsync(ApiToken token, CancellationToken ct);

    /// <summary>Deletes the token; false when no token has that name.</summary>
    Task<bool> RevokeTokenAsync(string name, CancellationToken ct);

    Task AppendAuditAsync(AuditEntry entry, CancellationToken ct);

    Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(AuditQuery query, CancellationToken ct);
}
