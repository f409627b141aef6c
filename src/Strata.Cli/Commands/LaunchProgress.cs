using Strata.Api.Contracts.Events;

namespace Strata.Cli.Commands;

/// <summary>
/// What a deployment's events say about a wait for convergence: launch failures in a row, whether it was rolled back,
/// and which events people should see. Decided by each event's kind and fields, never by its message, whose wording
/// is for people and may change.
/// </summary>
public sealed class LaunchProgress
{
    /// <summary>Launch failures (of servers or load balancers) since a server last came into service.</summary>
    public int Failures { get; private set; }

    /// <summary>Why the deployment was rolled back, once an event said it was; null otherwise.</summary>
    public string? RolledBack { get; private set; }

    /// <summary>Takes in one event; returns the line to show for it, or null when it is not worth a line.</summary>
    public string? Observe(DeploymentEvent e)
    {
        switch (e)
        {
            case { Kind: EventKinds.DeploymentRollback, Rollback: RollbackResult.RolledBack }:
                RolledBack = e.Message;
                return $"  ! {e.Message}";
            case { Kind: EventKinds.ServerFailed or EventKinds.LoadBalancerFailed }:
                Failures++;
                return $"  ! {e.Message}";
            case { Kind: EventKinds.DeploymentRollback or EventKinds.LoadBalancerCheck }:
                // A rollback that could not start, or why a server in service is not sent traffic yet: what the
                // wait is about, not a failure.
                return $"  ! {e.Message}";
            case { Kind: EventKinds.ServerState, ToState: ServerPhase.InService }:
                Failures = 0;
                return null;
            default:
                return null;
        }
    }
}
