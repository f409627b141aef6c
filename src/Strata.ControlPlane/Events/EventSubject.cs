using Strata.Api.Contracts.Events;
using Strata.Planning.State;

namespace Strata.ControlPlane.Events;

/// <summary>What an event is about: the structured fields recorded with it, and the resource address they imply.</summary>
public sealed record EventSubject
{
    public string? Resource { get; init; }

    public string? Tier { get; init; }

    public string? Server { get; init; }

    public ServerPhase? FromState { get; init; }

    public ServerPhase? ToState { get; init; }

    public RollbackResult? Rollback { get; init; }

    /// <summary>A server, optionally moving from one state to another.</summary>
    public static EventSubject OfServer(string tier, string server, ServerStatus? from = null, ServerStatus? to = null) =>
        new() { Resource = $"tiers.{tier}.servers[{server}]", Tier = tier, Server = server, FromState = PhaseOf(from), ToState = PhaseOf(to) };

    public static EventSubject OfTier(string tier) => new() { Resource = $"tiers.{tier}", Tier = tier };

    public static EventSubject OfRollback(RollbackResult result) => new() { Rollback = result };

    /// <summary>A server state as events report it.</summary>
    public static ServerPhase? PhaseOf(ServerStatus? status) => status switch
    {
        null => null,
        ServerStatus.Pending => ServerPhase.Pending,
        ServerStatus.Configuring => ServerPhase.Configuring,
        ServerStatus.Booting => ServerPhase.Booting,
        ServerStatus.InService => ServerPhase.InService,
        ServerStatus.Unhealthy => ServerPhase.Unhealthy,
        ServerStatus.Terminating => ServerPhase.Terminating,
        ServerStatus.Terminated => ServerPhase.Terminated,
        ServerStatus.Failed => ServerPhase.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "a server state with no phase for events"),
    };
}
