namespace Strata.Api.Contracts;

/// <summary>Who is serving: written to <c>server.json</c> and returned by <c>GET /api/v1/server</c>.</summary>
public sealed record ServerInfo
{
    public required int Pid { get; init; }

    public required string Url { get; init; }

    public required string Version { get; init; }

    public required string Home { get; init; }

    public required DateTimeOffset StartedAt { get; init; }
}
