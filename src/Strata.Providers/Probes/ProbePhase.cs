namespace Strata.Providers.Probes;

/// <summary>
/// Where in its interval a server is probed: each key (a server's name) has a stable offset within the interval, on a
/// grid of a step, so that a hundred servers probed every second are not all probed at the same instant. Probes that
/// all fired on the same tick made 200 single-threaded apps answer at once on two busy cores, and healthy ones timed
/// out. The offset is the same in every process, so a control plane's restart, or an agent that probes instead of the
/// control plane, keeps the spread.
/// </summary>
public static class ProbePhase
{
    /// <summary>The offset within <paramref name="interval"/> at which <paramref name="key"/> is probed: one of the interval's steps of <paramref name="step"/>.</summary>
    public static TimeSpan Of(string key, TimeSpan interval, TimeSpan step)
    {
        ArgumentNullException.ThrowIfNull(key);
        var slots = step <= TimeSpan.Zero ? 1 : Math.Max(1, interval.Ticks / step.Ticks);
        return TimeSpan.FromTicks(step.Ticks * (long)(Fnv1a(key) % (ulong)slots));
    }

    /// <summary>The time until the next instant that lies <paramref name="phase"/> past a wall-clock tick of <paramref name="interval"/>.</summary>
    public static TimeSpan Until(TimeSpan interval, TimeSpan phase, DateTimeOffset now)
    {
        var past = (now.UtcTicks - phase.Ticks) % interval.Ticks;
        return TimeSpan.FromTicks(interval.Ticks - (past < 0 ? past + interval.Ticks : past));
    }

    // FNV-1a over the key's UTF-16 code units: string.GetHashCode differs from one process to the next.
    private static ulong Fnv1a(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
