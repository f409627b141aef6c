namespace Strata.Api.Contracts.Agent;

/// <summary>
/// Runs a command on one of the host's servers, as its own commands run: <c>/bin/sh -c</c> in the server's root with
/// the agent's basic variables and <see cref="Environment"/>. Hooks, health <c>command</c> checks and
/// <c>scaleCheck</c> come this way. Answered by <see cref="AgentCommandReply"/>, or <see cref="AgentFailed"/> when the
/// host has no such server.
/// </summary>
public sealed record AgentRunCommand : AgentRequest
{
    public required string ServerId { get; init; }

    public required string Command { get; init; }

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>How long it may run before the agent stops it and everything it started, in milliseconds.</summary>
    public required long TimeoutMs { get; init; }
}

/// <summary>How a command ended: its exit code (-1 when stopped at its timeout), its standard output, and its output and error as they came (tails).</summary>
public sealed record AgentCommandReply : AgentReply
{
    public required int ExitCode { get; init; }

    public required bool TimedOut { get; init; }

    public required string Output { get; init; }

    public required string Text { get; init; }
}

/// <summary>
/// Stops the <see cref="AgentRunCommand"/> whose id is <see cref="Command"/> and everything it started, as its timeout
/// would (its caller gave up: a cancelled backup, a stop hook past its limit); answered by <see cref="AgentDone"/> at once.
/// </summary>
public sealed record AgentCancelCommand : AgentRequest
{
    public required long Command { get; init; }
}
