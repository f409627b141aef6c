using Strata.Planning.State;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>How the liveness audit repairs a server that nothing is working on.</summary>
public enum LivenessRepair
{
    /// <summary>Hand it back to the reconciler, whose next pass resumes its launch or termination or starts its probe loop.</summary>
    Reconcile,

    /// <summary>Its probe loop stopped making progress: give it up, so the reconciler starts a new one.</summary>
    Reprobe,

    /// <summary>It is still booting past its health check's grace: fail it, so that it is replaced.</summary>
    Fail,
}

/// <summary>A server the audit found without a working owner, what to do about it and why.</summary>
public sealed record LivenessFinding(ServerState Server, LivenessRepair Repair, string Reason);

/// <summary>
/// Every state a server can be in short of the end has an owner and a deadline: pending and configuring belong to a
/// launch operation (or to the launch gate while it holds the server back), terminating to a termination operation,
/// booting, in service and unhealthy to a probe loop that finishes a probe every interval plus timeout, and booting
/// ends at the health check's grace. This finds the servers whose owner is missing or overdue. Pure, like
/// <see cref="TierDecision"/>: it reads the state and what the owners report, and decides.
/// </summary>
public static class LivenessAudit
{
    /// <param name="runtime">The deployment.</param>
    /// <param name="hasOperation">Whether a launch or termination of the server is under way, or one that failed is about to be retried.</param>
    /// <param name="lastProbe">When the server's probe loop last finished a probe; null when no loop runs.</param>
    /// <param name="slack">How long past a deadline an owner is given before the audit steps in.</param>
    /// <param name="now">The time.</param>
    /// <param name="since">
    /// When this control plane's first pass of the deployment ended: no owner can have acted before, so deadlines
    /// count from then at the earliest (a server in service for minutes has no probe loop in the first moments after a
    /// restart, and needs none yet).
    /// </param>
    public static IReadOnlyList<LivenessFinding> Find(
        DeploymentRuntime runtime, Func<string, bool> hasOperation, Func<string, DateTimeOffset?> lastProbe, TimeSpan slack, DateTimeOffset now,
        DateTimeOffset since = default)
    {
        var findings = new List<LivenessFinding>();
        foreach (var server in runtime.State.Tiers.SelectMany(t => t.Servers))
        {
            if (!hasOperation(server.Name) && Check(runtime, server, lastProbe, slack, now, since) is { } finding)
            {
                findings.Add(finding);
            }
        }

        return findings;
    }

    private static LivenessFinding? Check(
        DeploymentRuntime runtime, ServerState server, Func<string, DateTimeOffset?> lastProbe, TimeSpan slack, DateTimeOffset now, DateTimeOffset since)
    {
        var idle = now - Later(server.StateSince ?? server.LaunchedAt, since);
        var check = runtime.DesiredFor(server).Spec.FindTier(server.Tier)?.Health;
        switch (server.State)
        {
            case ServerStatus.Pending when !LaunchGate.MayStart(runtime, server, now):
                // Held back by the launch gate (a dependency, a volume, a backoff): the gate owns it and says why.
                return null;
            case ServerStatus.Pending or ServerStatus.Configuring or ServerStatus.Terminating when idle > slack:
                return new(server, LivenessRepair.Reconcile, $"{Describe(server.State)} for {Seconds(idle)} with no operation under way");
            case ServerStatus.Booting when check is not null && now - Later(server.LaunchedAt, since) > check.Grace + slack:
                return new(server, LivenessRepair.Fail, $"the health check did not pass within {check.Grace.TotalSeconds:0}s");
            case ServerStatus.Booting or ServerStatus.InService or ServerStatus.Unhealthy when check is not null:
                return ProbeFinding(server, lastProbe(server.Name), check.Interval + check.Timeout + slack, idle, slack, now);
            default:
                return null;
        }
    }

    private static LivenessFinding? ProbeFinding(ServerState server, DateTimeOffset? last, TimeSpan overdue, TimeSpan idle, TimeSpan slack, DateTimeOffset now) => last switch
    {
        null when idle > slack => new(server, LivenessRepair.Reconcile, $"{Describe(server.State)} for {Seconds(idle)} with no health probe running"),
        { } at when now - at > overdue => new(server, LivenessRepair.Reprobe, $"no health probe has finished for {Seconds(now - at)}"),
        _ => null,
    };

    private static string Describe(ServerStatus state) => state switch
    {
        ServerStatus.InService => "in service",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds:0}s";

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
