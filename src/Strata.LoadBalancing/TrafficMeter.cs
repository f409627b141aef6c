using System.Collections.Concurrent;

namespace Strata.LoadBalancing;

/// <summary>
/// Turns successive <see cref="LoadBalancerStats"/> snapshots of load balancers into rates: the one calculation of
/// request rate and error share, used for <c>strata status</c> and for autoscaling. Each user keeps its own meter,
/// because each measures over its own window (between reconcile passes, between autoscaler ticks).
/// </summary>
/// <remarks>
/// The window is the time between the load balancer's own snapshot timestamps, not between the calls, so a slow poll
/// does not skew a rate. Counters that went down restarted (the member rejoined, or the load balancer was restarted):
/// they are counted from zero rather than giving a negative rate.
/// </remarks>
public sealed class TrafficMeter
{
    private readonly ConcurrentDictionary<string, LoadBalancerStats> _last = new(StringComparer.Ordinal);

    /// <summary>Records a snapshot of a load balancer; returns the traffic since its previous one, or null for the first.</summary>
    public TrafficRates? Observe(string loadBalancer, LoadBalancerStats stats)
    {
        var previous = _last.GetValueOrDefault(loadBalancer);
        _last[loadBalancer] = stats;
        return previous is null ? null : TrafficRates.Between(previous, stats);
    }

    /// <summary>Drops every snapshot, so that the next one of each load balancer starts a new window.</summary>
    public void Forget() => _last.Clear();

    /// <summary>Drops the snapshot of a load balancer that is gone.</summary>
    public void Forget(string loadBalancer) => _last.TryRemove(loadBalancer, out _);
}

/// <summary>A load balancer's traffic over a window between two snapshots of its counters.</summary>
public sealed record TrafficRates
{
    public required TimeSpan Window { get; init; }

    /// <summary>Requests forwarded to members in the window.</summary>
    public required long Requests { get; init; }

    /// <summary>Failed requests in the window: members' errors and the 503s answered because no member was active.</summary>
    public required long Errors { get; init; }

    /// <summary>Requests answered with 503 in the window because no member was active.</summary>
    public required long NoMemberResponses { get; init; }

    /// <summary>The snapshot at the end of the window, for the gauges (open connections, latency) that are not rates.</summary>
    public required LoadBalancerStats Current { get; init; }

    public required IReadOnlyList<MemberRates> Members { get; init; }

    /// <summary>Requests forwarded to members per second.</summary>
    public double RequestsPerSecond => Requests / Window.TotalSeconds;

    /// <summary>The share (0 to 1) of the requests clients sent that failed, 503s for want of a member included.</summary>
    public double ErrorRate => Requests + NoMemberResponses == 0 ? 0 : (double)Errors / (Requests + NoMemberResponses);

    /// <summary>The traffic between two snapshots of one load balancer; null when the later one is not later.</summary>
    public static TrafficRates? Between(LoadBalancerStats earlier, LoadBalancerStats later)
    {
        var window = later.Timestamp - earlier.Timestamp;
        if (window <= TimeSpan.Zero)
        {
            return null;
        }

        var members = later.Members
            .Select(m => MemberRates.Between(earlier.Members.FirstOrDefault(e => e.Name == m.Name), m, window))
            .ToList();
        var noMember = Since(earlier.NoMemberResponses, later.NoMemberResponses);
        return new TrafficRates
        {
            Window = window,
            Requests = members.Sum(m => m.Requests),
            Errors = members.Sum(m => m.Errors) + noMember,
            NoMemberResponses = noMember,
            Current = later,
            Members = members,
        };
    }

    /// <summary>How much a counter grew; a counter that went down restarted from zero, so all of it is new.</summary>
    internal static long Since(long earlier, long later) => later >= earlier ? later - earlier : later;
}

/// <summary>One member's traffic over a window.</summary>
public sealed record MemberRates(MemberStats Current, long Requests, long Errors, TimeSpan Window)
{
    public double RequestsPerSecond => Requests / Window.TotalSeconds;

    /// <summary>The share (0 to 1) of the member's requests that failed.</summary>
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;

    internal static MemberRates Between(MemberStats? earlier, MemberStats later, TimeSpan window)
    {
        // A member that joined in the window, or whose counters restarted, counts from zero.
        var restarted = earlier is null || later.Requests < earlier.Requests || later.Errors < earlier.Errors;
        var requests = restarted ? later.Requests : later.Requests - earlier!.Requests;
        var errors = restarted ? later.Errors : later.Errors - earlier!.Errors;
        return new MemberRates(later, requests, Math.Min(errors, requests), window);
    }
}
