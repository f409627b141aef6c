using Strata.Spec.Model;

namespace Strata.Scaling.Metrics;

/// <summary>One server's resource use over the last sampling interval.</summary>
/// <param name="Server">The server's name.</param>
/// <param name="CpuPercent">CPU of its process tree in percent of one core (two busy cores are 200).</param>
/// <param name="MemoryBytes">Resident memory of its process tree.</param>
/// <param name="MemoryPercent"><paramref name="MemoryBytes"/> in percent of the machine's memory.</param>
public sealed record ServerMetrics(string Server, double CpuPercent, long MemoryBytes, double MemoryPercent);

/// <summary>
/// What a tier measured at one moment: its in-service servers' CPU and memory, and what its load balancer saw of
/// the traffic to them. Load balancer figures are null when no load balancer sends traffic to the tier.
/// </summary>
public sealed record TierMetrics
{
    public required string Tier { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>
    /// How long before <see cref="Timestamp"/> the measurement window began: rates, CPU and latency are taken over
    /// it. Zero (the default) for a reading of one instant.
    /// </summary>
    public TimeSpan Window { get; init; }

    /// <summary>The servers measured; averages are taken over them.</summary>
    public IReadOnlyList<ServerMetrics> Servers { get; init; } = [];

    /// <summary>Requests per second per in-service server over the last interval.</summary>
    public double? RequestsPerSecondPerServer { get; init; }

    /// <summary>99th percentile of response time across the tier's members, in milliseconds.</summary>
    public double? LatencyP99Milliseconds { get; init; }

    /// <summary>Failed requests (connection failures and 5xx) in percent of all requests over the last interval, 0 to 100.</summary>
    public double? ErrorPercent { get; init; }

    /// <summary>
    /// The tier-wide value of a metric in the unit scaling rules use: the average over <see cref="Servers"/> for CPU
    /// and memory (percent), otherwise the load balancer figure. Null when it was not measured.
    /// </summary>
    public double? Value(ScalingMetric metric) => metric switch
    {
        ScalingMetric.Cpu => Servers.Count == 0 ? null : Servers.Average(s => s.CpuPercent),
        ScalingMetric.Memory => Servers.Count == 0 ? null : Servers.Average(s => s.MemoryPercent),
        ScalingMetric.RequestRate => RequestsPerSecondPerServer,
        ScalingMetric.Latency => LatencyP99Milliseconds,
        ScalingMetric.ErrorRate => ErrorPercent,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "unknown scaling metric"),
    };
}
