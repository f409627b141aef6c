namespace Strata.Common.Retries;

/// <summary>
/// The one backoff formula: each consecutive failure doubles the wait, up to a cap, and a random part of up to
/// <c>jitter</c> of it is taken off, so that parties failing together do not come back together and the cap is never
/// passed. Polly retry pipelines use it as their delay generator; waits kept between attempts (a tier's next launch,
/// a queued copy) use it directly.
/// </summary>
public static class ExponentialBackoff
{
    /// <summary>Doubling stops here: 2^40 times any useful first delay is far beyond every cap.</summary>
    private const int MaxDoublings = 40;

    /// <summary>The wait after the <paramref name="failures"/>-th failure in a row.</summary>
    /// <param name="failures">Consecutive failures so far, from 1.</param>
    /// <param name="first">The wait after the first failure.</param>
    /// <param name="max">The longest wait, jitter included.</param>
    /// <param name="jitter">The largest fraction taken off at random, from 0 (none) to 1.</param>
    /// <param name="random">The source of the jitter.</param>
    /// <example><c>Delay(3, 2 s, 1 min, 0.2, random)</c> is between 6.4 and 8 seconds.</example>
    public static TimeSpan Delay(int failures, TimeSpan first, TimeSpan max, double jitter, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jitter, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jitter, 1);
        ArgumentNullException.ThrowIfNull(random);
        return TimeSpan.FromMilliseconds(CappedMilliseconds(failures, first, max) * (1 - (jitter * random.NextDouble())));
    }

    /// <summary>
    /// The wait after the <paramref name="failures"/>-th failure in a row, without jitter: for a wait that no other
    /// party shares, such as one tier's next launch.
    /// </summary>
    /// <example><c>Delay(3, 1 s, 5 min)</c> is 4 seconds.</example>
    public static TimeSpan Delay(int failures, TimeSpan first, TimeSpan max) => TimeSpan.FromMilliseconds(CappedMilliseconds(failures, first, max));

    private static double CappedMilliseconds(int failures, TimeSpan first, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, first);
        var exponential = first.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, MaxDoublings));
        return Math.Min(exponential, max.TotalMilliseconds);
    }
}
