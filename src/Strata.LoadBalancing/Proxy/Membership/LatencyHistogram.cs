using System.Numerics;

namespace Strata.LoadBalancing.Proxy.Membership;

/// <summary>
/// Lock-free latency histogram in microseconds with four buckets per power of two, so a percentile is within 25%
/// of the truth at a fixed, small memory cost per member.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBuckets = 4;
    private const int MaxExponent = 40;
    private const int Buckets = (MaxExponent * SubBuckets) + SubBuckets;
    private readonly long[] _counts = new long[Buckets];

    public void Record(long microseconds) => Interlocked.Increment(ref _counts[IndexOf(microseconds)]);

    /// <summary>The upper bound of the bucket holding the <paramref name="quantile"/> (0 to 1); zero when empty.</summary>
    public TimeSpan Percentile(double quantile)
    {
        // On the stack: the admin API asks for two percentiles of every member on each statistics request.
        Span<long> counts = stackalloc long[Buckets];
        long total = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Interlocked.Read(ref _counts[i]);
            total += counts[i];
        }

        if (total == 0)
        {
            return TimeSpan.Zero;
        }

        var target = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= target)
            {
                return TimeSpan.FromMicroseconds(UpperBound(i));
            }
        }

        return TimeSpan.FromMicroseconds(UpperBound(counts.Length - 1));
    }

    internal static int IndexOf(long microseconds)
    {
        if (microseconds < SubBuckets)
        {
            return (int)Math.Max(0, microseconds);
        }

        var exponent = Math.Min(BitOperations.Log2((ulong)microseconds), MaxExponent);
        var sub = (int)((microseconds >> (exponent - 2)) & (SubBuckets - 1));
        return Math.Min(((exponent - 1) * SubBuckets) + sub, Buckets - 1);
    }

    internal static long UpperBound(int index)
    {
        if (index < SubBuckets)
        {
            return index + 1;
        }

        var exponent = (index / SubBuckets) + 1;
        var sub = index % SubBuckets;
        return (long)(SubBuckets + sub + 1) << (exponent - 2);
    }
}
