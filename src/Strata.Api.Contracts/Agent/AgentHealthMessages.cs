namespace Strata.Api.Contracts.Agent;

/// <summary>What an agent's health check of a server checks: an HTTP answer, or only that a connection is accepted.</summary>
public enum AgentProbeKind { Http, Tcp }

/// <summary>
/// Control plane to agent: probe a server of the host with an http or tcp check from now on, replacing any earlier
/// watch of that server, and send <see cref="AgentHealth"/> for every result until the larger threshold of alike
/// results in a row, then only when a result differs. Answered by <see cref="AgentDone"/>. The watch lasts until
/// <see cref="AgentUnwatchHealth"/> or the agent's exit.
/// </summary>
public sealed record AgentWatchHealth : AgentRequest
{
    public required string ServerId { get; init; }

    public required AgentProbeKind Kind { get; init; }

    public required string Address { get; init; }

    public required int Port { get; init; }

    public string Path { get; init; } = "/";

    public required long IntervalMs { get; init; }

    /// <summary>The time between probes until the server first passes <see cref="HealthyAfter"/> in a row.</summary>
    public required long BootIntervalMs { get; init; }

    public required long TimeoutMs { get; init; }

    public required int HealthyAfter { get; init; }

    public required int UnhealthyAfter { get; init; }

    /// <summary>The grid of the server's stable offset within the interval, in milliseconds.</summary>
    public required long SpreadStepMs { get; init; }
}

/// <summary>Control plane to agent: stop probing a server (nothing to stop is no error); answered by <see cref="AgentDone"/>.</summary>
public sealed record AgentUnwatchHealth : AgentRequest
{
    public required string ServerId { get; init; }
}

/// <summary>Agent to control plane, unasked: a result of the health check of a server it watches.</summary>
public sealed record AgentHealth : AgentMessage
{
    public required string ServerId { get; init; }

    /// <summary>The id of the <see cref="AgentWatchHealth"/> request whose check this is: a report of a watch since replaced is stale.</summary>
    public required long Watch { get; init; }

    public required bool Passed { get; init; }

    /// <summary>Why the probe failed; null when it passed.</summary>
    public string? Detail { get; init; }

    /// <summary>True when it failed by running out of time.</summary>
    public bool TimedOut { get; init; }
}
