namespace Strata.LoadBalancing;

/// <summary>
/// Counters of one load balancer since it started. Rates (requests per second, error rate) come from the difference
/// of two snapshots: see <see cref="TrafficMeter"/>.
/// </summary>
public sealed record LoadBalancerStats
{
    public required string Id { get; init; }

    /// <summary>When the load balancer took the snapshot.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Requests answered with 503 because no member was active.</summary>
    public required long NoMemberResponses { get; init; }

    /// <summary>Client connections open to the load balancer now, idle keep-alive ones included.</summary>
    public int OpenConnections { get; init; }

    public required IReadOnlyList<MemberStats> Members { get; init; }
}

/// <summary>Counters of one member since it joined.</summary>
public sealed record MemberStats
{
    public required string Name { get; init; }

    public required MemberState State { get; init; }

    public required int InFlight { get; init; }

    /// <summary>
    /// Connections open from the load balancer to the member now, whether carrying a request or idle in the pool
    /// (HAProxy: <c>used_conn_cur + idle_conn_cur + safe_conn_cur</c> of <c>show stat</c>).
    /// </summary>
    public int OpenConnections { get; init; }

    /// <summary>
    /// True when passive health took the member out of rotation because its live requests kept failing; it gets no
    /// new requests until it recovers (built-in: after a pause, HAProxy: its TCP check passes again) or leaves.
    /// </summary>
    public bool Ejected { get; init; }

    /// <summary>Requests forwarded, including failed ones.</summary>
    public required long Requests { get; init; }

    /// <summary>Requests that failed to reach the member or that it answered with a 5xx status.</summary>
    public required long Errors { get; init; }

    /// <summary>Requests that could not connect and were retried on another member.</summary>
    public required long Retried { get; init; }

    /// <summary>
    /// Median time to the end of the response, zero before the first request. HAProxy 2.6 keeps no percentiles: its
    /// driver reports the average total time of the last 1024 requests here.
    /// </summary>
    public required TimeSpan LatencyP50 { get; init; }

    /// <summary>The 99th percentile; HAProxy's driver reports the largest total time seen (an upper bound).</summary>
    public required TimeSpan LatencyP99 { get; init; }
}
