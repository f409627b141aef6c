namespace Strata.LoadBalancing;

public enum LoadBalancerInstanceState
{
    Running,
    Stopped,
    Failed,
}

/// <summary>A load balancer as it runs (or failed to run) now.</summary>
public sealed record LoadBalancerInstance
{
    public required string Id { get; init; }

    public required LoadBalancerInstanceState State { get; init; }

    /// <summary>The process serving traffic, 0 when none runs.</summary>
    public int ProcessId { get; init; }

    /// <summary>
    /// When the process started, in clock ticks since boot (field 22 of <c>/proc/PID/stat</c>), so that a reused
    /// process id is never taken for this load balancer; 0 when none runs.
    /// </summary>
    public long ProcessStartTime { get; init; }

    /// <summary>Where clients connect, e.g. <c>http://127.0.0.1:8080</c> (<c>https://…</c> with TLS); null when not running.</summary>
    public string? Url { get; init; }

    /// <summary>The authenticated admin endpoint, e.g. <c>http://127.0.0.1:41234</c>; null when not running.</summary>
    public string? AdminUrl { get; init; }

    /// <summary>When the TLS certificate expires; null without TLS or when not running.</summary>
    public DateTimeOffset? CertificateNotAfter { get; init; }

    /// <summary>Why the load balancer is not running, e.g. <c>port 8080 on 127.0.0.1 is already in use</c>.</summary>
    public string? Message { get; init; }
}
