using System.Text.Json.Serialization;

namespace Strata.Api.Contracts;

/// <summary>Body of <c>POST /api/v1/tokens</c>.</summary>
public sealed record TokenCreateRequest
{
    public required string Name { get; init; }

    /// <summary><c>viewer</c>, <c>operator</c> or <c>admin</c>.</summary>
    public required string Role { get; init; }

    /// <summary>How long the token is accepted, in seconds; null for no expiry.</summary>
    public long? ExpiresInSeconds { get; init; }
}

/// <summary>A token as listed: never its secret.</summary>
public sealed record TokenDto
{
    public required string Name { get; init; }

    public required string Role { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public bool Expired { get; init; }
}

/// <summary>What <c>POST /api/v1/tokens</c> answers: the secret, shown this once.</summary>
public sealed record TokenCreatedDto
{
    public required TokenDto Token { get; init; }

    public required string Secret { get; init; }
}

/// <summary>One line of the audit log.</summary>
public sealed record AuditEntryDto
{
    public required DateTimeOffset Time { get; init; }

    public string? Token { get; init; }

    public string? Role { get; init; }

    public required string Remote { get; init; }

    public required string Method { get; init; }

    public required string Route { get; init; }

    public string? Deployment { get; init; }

    public required int Status { get; init; }
}

/// <summary>Source-generated JSON for the token and audit endpoints.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = false)]
[JsonSerializable(typeof(TokenCreateRequest))]
[JsonSerializable(typeof(TokenCreatedDto))]
[JsonSerializable(typeof(IReadOnlyList<TokenDto>))]
[JsonSerializable(typeof(IReadOnlyList<AuditEntryDto>))]
[JsonSerializable(typeof(AuditEntryDto))]
public sealed partial class AccessJsonContext : JsonSerializerContext;
