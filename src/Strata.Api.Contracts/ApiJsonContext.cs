using System.Text.Json.Serialization;
using Strata.Api.Contracts.Events;

namespace Strata.Api.Contracts;

/// <summary>Source-generated JSON for every type the REST API reads or writes.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, UseStringEnumConverter = true, WriteIndented = false)]
[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(ApplyRequest))]
[JsonSerializable(typeof(ApplyResponse))]
[JsonSerializable(typeof(ScaleRequest))]
[JsonSerializable(typeof(DeploymentStatusDto))]
[JsonSerializable(typeof(IReadOnlyList<DeploymentSummaryDto>))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(LogLineDto))]
[JsonSerializable(typeof(PinRequest))]
[JsonSerializable(typeof(PinDto))]
[JsonSerializable(typeof(DeploymentEvent))]
public sealed partial class ApiJsonContext : JsonSerializerContext;

/// <summary>An RFC 7807 problem, as the API returns errors; <see cref="Errors"/> carries spec diagnostics.</summary>
public sealed record ProblemDto
{
    public string Type { get; init; } = "about:blank";

    public required string Title { get; init; }

    public required int Status { get; init; }

    public string? Detail { get; init; }

    public IReadOnlyList<string>? Errors { get; init; }
}

/// <summary>One line of a server's log.</summary>
public sealed record LogLineDto(string Line);
