using System.Text.Json.Serialization;

namespace Strata.Api.Contracts.Events;

public enum EventSeverity { Info, Warning, Error }

/// <summary>What a rollback request came to, recorded with its <see cref="EventKinds.DeploymentRollback"/> event.</summary>
public enum RollbackResult
{
    /// <summary>The previous apply is desired again and changed tiers are rolling back to it.</summary>
    RolledBack,

    /// <summary>Nothing changed: the deployment has no previous apply to go back to.</summary>
    NoPreviousApply,
}

/// <summary>
/// A server's state as events report it (<see cref="DeploymentEvent.FromState"/>, <see cref="DeploymentEvent.ToState"/>):
/// the control plane's server states by the same names, which are stored and served and so never change once released.
/// </summary>
public enum ServerPhase
{
    Pending,
    Configuring,
    Booting,
    InService,
    Unhealthy,
    Terminating,
    Terminated,
    Failed,
}

/// <summary>
/// Something that happened to a deployment: a server changed state, a load balancer changed members, an error. The
/// control plane stores and serves this record as it is (NDJSON lines of <c>GET /api/v1/deployments/{name}/events</c>)
/// and the CLI reads it.
/// </summary>
/// <remarks>
/// <see cref="Message"/> is for people and its wording may change; programs read <see cref="Kind"/> and the fields
/// (<see cref="Tier"/>, <see cref="Server"/>, <see cref="FromState"/>, <see cref="ToState"/>, <see cref="Rollback"/>).
/// </remarks>
public sealed record DeploymentEvent
{
    /// <summary>Ordered id assigned by the store; 0 before it is stored.</summary>
    public long Id { get; init; }

    public required string Deployment { get; init; }

    public required DateTimeOffset Time { get; init; }

    /// <summary>One of <see cref="EventKinds"/>, such as <c>server.state</c> or <c>loadbalancer.members</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The resource address, e.g. <c>tiers.web.servers[hello-web-k3x9a1]</c>.</summary>
    public string? Resource { get; init; }

    public EventSeverity Severity { get; init; } = EventSeverity.Info;

    public required string Message { get; init; }

    /// <summary>The tier the event is about; null when it is about no tier (or was recorded before tiers were kept).</summary>
    public string? Tier { get; init; }

    /// <summary>The physical name of the server the event is about, e.g. <c>hello-web-k3x9a1</c>.</summary>
    public string? Server { get; init; }

    /// <summary>The server's state before a state change; null when it had none (or it is not a state change).</summary>
    // By name, also where a serializer writes other enums as numbers (the CLI's --json output), so readers need no table.
    [JsonConverter(typeof(JsonStringEnumConverter<ServerPhase>))]
    public ServerPhase? FromState { get; init; }

    /// <summary>The server's state after a state change.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<ServerPhase>))]
    public ServerPhase? ToState { get; init; }

    /// <summary>What a rollback came to, on <see cref="EventKinds.DeploymentRollback"/> events.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<RollbackResult>))]
    public RollbackResult? Rollback { get; init; }
}
