namespace Strata.LoadBalancing;

/// <summary>
/// How a load balancer picks the member for a new request: the spec's <c>Strata.Spec.Model.LoadBalancingAlgorithm</c>, which
/// the control plane maps here by name. This assembly does not reference the spec so the proxy process stays small.
/// </summary>
public enum BalancingAlgorithm
{
    /// <summary>Each active member in turn.</summary>
    RoundRobin,

    /// <summary>The active member with the fewest requests in flight.</summary>
    LeastConnections,

    /// <summary>A hash of the client address, so a client keeps its member while membership is unchanged.</summary>
    SourceHash,
}
