using Strata.ControlPlane.Health;
using Strata.LoadBalancing;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Whether a running server of a load balancer's tier takes that load balancer's new requests: it must be in service
/// for its tier and, when the load balancer has a <c>health:</c> of its own, pass that check too.
/// </summary>
public static class LoadBalancerMembership
{
    /// <param name="server">A running server of the load balancer's tier.</param>
    /// <param name="balancer">The load balancer.</param>
    /// <param name="ownCheck">Where the server stands with the load balancer's own check; null before its first probe.</param>
    /// <param name="isMember">Whether the server is in the load balancer's rotation now.</param>
    public static MemberState StateOf(ServerState server, LoadBalancerSpec balancer, HealthTracker? ownCheck, bool isMember)
    {
        if (server.State != ServerStatus.InService)
        {
            return MemberState.Standby;
        }

        return (balancer.Health, ownCheck?.Verdict) switch
        {
            (null, _) => MemberState.Active,
            (_, HealthVerdict.Healthy) => MemberState.Active,

            // A member keeps its place until its first verdict, so a control-plane restart or a changed check does not
            // empty the rotation while the new count starts; it leaves once the check fails unhealthyAfter times.
            (_, HealthVerdict.Unknown or null) when isMember => MemberState.Active,
            _ => MemberState.Standby,
        };
    }

    /// <summary>Why an in-service server is out of rotation because of the load balancer's own check; null otherwise.</summary>
    public static string? WhyNot(ServerState server, LoadBalancerSpec balancer, HealthTracker? ownCheck, bool isMember)
    {
        if (server.State != ServerStatus.InService || StateOf(server, balancer, ownCheck, isMember) == MemberState.Active)
        {
            return null;
        }

        return ownCheck?.LastFailure is { } failure
            ? $"{server.Name} fails {balancer.Name}'s check: {failure}"
            : $"{server.Name} has not passed {balancer.Name}'s check yet";
    }
}
