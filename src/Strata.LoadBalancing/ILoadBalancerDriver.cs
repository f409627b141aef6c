namespace Strata.LoadBalancing;

/// <summary>
/// Runs load balancers of one kind (the built-in proxy, HAProxy, …). The control plane decides membership from its
/// own health checks and tells the driver; the driver keeps the load balancer running independently of the control
/// plane so traffic keeps flowing while the control plane is down.
/// </summary>
public interface ILoadBalancerDriver
{
    /// <summary>The name a spec uses to pick this driver, e.g. <c>builtin</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Starts the load balancer, or adopts it when it already runs with the same definition (for example after a
    /// control-plane restart); restarts it, keeping its members, when the definition changed. A load balancer that
    /// cannot start comes back with <see cref="LoadBalancerInstanceState.Failed"/> and the reason in
    /// <see cref="LoadBalancerInstance.Message"/>.
    /// </summary>
    Task<LoadBalancerInstance> EnsureRunningAsync(LoadBalancerDefinition definition, CancellationToken ct);

    /// <summary>
    /// Replaces the members with the full desired list. Members that are left out, or listed as
    /// <see cref="MemberState.Draining"/>, get no new requests; their in-flight requests finish until the drain
    /// timeout passes. Takes effect without a restart.
    /// </summary>
    Task<IReadOnlyList<MemberStatus>> SetMembersAsync(LoadBalancerInstance instance, IReadOnlyList<Member> members, CancellationToken ct);

    /// <summary>The load balancer as it runs now, or <see langword="null"/> when this driver has never run it.</summary>
    Task<LoadBalancerInstance?> DescribeAsync(string id, CancellationToken ct);

    /// <summary>Counters per member, or <see langword="null"/> when the load balancer does not answer.</summary>
    Task<LoadBalancerStats?> GetStatsAsync(LoadBalancerInstance instance, CancellationToken ct);

    /// <summary>
    /// Stops the load balancer for good, letting in-flight requests finish within the drain timeout, and deletes its
    /// files (configuration with its admin token and pin key, state, log, TLS key): afterwards
    /// <see cref="DescribeAsync"/> returns <see langword="null"/>. Idempotent.
    /// </summary>
    Task StopAsync(string id, CancellationToken ct);
}
