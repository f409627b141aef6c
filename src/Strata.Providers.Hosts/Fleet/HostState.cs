using Strata.Api.Contracts.Agent;
using Strata.Providers.Hosts.Ssh;

namespace Strata.Providers.Hosts.Fleet;

/// <summary>Where a host stands, from its agent's heartbeats.</summary>
public enum HostState
{
    /// <summary>Its agent is heard from: servers may be placed on it.</summary>
    Ready,

    /// <summary>Heard from, but kept out of placement while its servers move elsewhere.</summary>
    Draining,

    /// <summary>Silent for <see cref="HostsOptions.HostTimeout"/>: its servers should take no traffic.</summary>
    Unreachable,

    /// <summary>Silent for <see cref="HostsOptions.HostLostAfter"/>: its servers are to be replaced elsewhere.</summary>
    Lost,
}

/// <summary>The pure decision of a host's state from the time its agent was last heard from.</summary>
public static class HostStateDecision
{
    public static HostState Decide(DateTimeOffset? lastHeartbeat, bool draining, DateTimeOffset now, HostsOptions options)
    {
        // Never heard from since this control plane started, and nothing recorded: as good as lost.
        var silence = lastHeartbeat is { } last ? now - last : TimeSpan.MaxValue;
        return silence switch
        {
            _ when silence >= options.HostLostAfter => HostState.Lost,
            _ when silence >= options.HostTimeout => HostState.Unreachable,
            _ => draining ? HostState.Draining : HostState.Ready,
        };
    }
}

/// <summary>A host as registered: how to reach it and where it stands in the fleet's geography.</summary>
public sealed record HostRegistration
{
    /// <summary>Letters, digits, '.', '_' and '-'; 1 to 63 of them.</summary>
    public required string Name { get; init; }

    public required SshLogin Login { get; init; }

    /// <summary>Where the agent lives on the host: absolute, or relative to the login's home.</summary>
    public required string AgentDir { get; init; }

    /// <summary>The <c>dotnet</c> that runs the agent on the host: a name on the login's PATH, or a path.</summary>
    public required string AgentRuntime { get; init; }

    public string? Zone { get; init; }

    /// <summary>The zone the host's servers are in: <see cref="Zone"/>, or <see cref="DefaultZone"/> when none was given.</summary>
    public string ZoneOrDefault => Zone ?? DefaultZone;

    public string? Region { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The zone of a host registered without one.</summary>
    public const string DefaultZone = "default";

    /// <summary>The default <see cref="AgentDir"/>.</summary>
    public const string DefaultAgentDir = "~/.strata-agent";

    /// <summary>The default <see cref="AgentRuntime"/>.</summary>
    public const string DefaultAgentRuntime = "dotnet";

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

/// <summary>A host as the fleet sees it now.</summary>
public sealed record HostStatus
{
    public required string Name { get; init; }

    public required HostState State { get; init; }

    /// <summary>True while the SSH channel to its agent is open.</summary>
    public required bool Connected { get; init; }

    /// <summary>What the agent measured when it said hello; null until it has.</summary>
    public AgentHello? Agent { get; init; }

    public DateTimeOffset? LastHeartbeat { get; init; }

    /// <summary>Free disk where the agent keeps its servers, as its last heartbeat (or its hello) said; null when not connected since this control plane started.</summary>
    public long? DiskFreeBytes { get; init; }

    /// <summary>What connecting copied of the agent's files (nothing when the host had this build); null until installed.</summary>
    public Agent.AgentInstall? Install { get; init; }
}
