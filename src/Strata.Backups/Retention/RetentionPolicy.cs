using System.Globalization;

namespace Strata.Backups.Retention;

/// <summary>A backup to judge: its id and when it was made.</summary>
public sealed record RetentionCandidate(string Id, DateTimeOffset Created);

/// <summary>
/// Which backups to keep: the newest <see cref="KeepLast"/>, plus the newest of each of the last
/// <see cref="KeepDaily"/> days and <see cref="KeepWeekly"/> ISO weeks that have one (UTC). A backup kept by any
/// rule is kept.
/// </summary>
public sealed record RetentionPolicy(int KeepLast, int KeepDaily = 0, int KeepWeekly = 0)
{
    /// <summary>The ids to keep.</summary>
    /// <exception cref="ArgumentException">A count is negative, or all are zero (which would delete everything).</exception>
    public IReadOnlySet<string> SelectKept(IEnumerable<RetentionCandidate> candidates)
    {
        Validate();
        var newestFirst = candidates.OrderByDescending(c => c.Created).ThenByDescending(c => c.Id, StringComparer.Ordinal).ToList();
        var kept = new HashSet<string>(newestFirst.Take(KeepLast).Select(c => c.Id), StringComparer.Ordinal);
        KeepNewestPerPeriod(newestFirst, KeepDaily, c => c.Created.UtcDateTime.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), kept);
        KeepNewestPerPeriod(newestFirst, KeepWeekly, c => $"{ISOWeek.GetYear(c.Created.UtcDateTime)}-W{ISOWeek.GetWeekOfYear(c.Created.UtcDateTime)}", kept);
        return kept;
    }

    private void Validate()
    {
        var problems = new List<string>();
        foreach (var (count, name) in new[] { (KeepLast, nameof(KeepLast)), (KeepDaily, nameof(KeepDaily)), (KeepWeekly, nameof(KeepWeekly)) })
        {
            if (count < 0)
            {
                problems.Add($"{name} must not be negative (got {count})");
            }
        }

        if (KeepLast <= 0 && KeepDaily <= 0 && KeepWeekly <= 0)
        {
            problems.Add("a retention policy must keep at least one backup");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"invalid retention policy: {string.Join("; ", problems)}");
        }
    }

    private static void KeepNewestPerPeriod(List<RetentionCandidate> newestFirst, int periods, Func<RetentionCandidate, string> periodOf, HashSet<string> kept)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in newestFirst)
        {
            if (seen.Count >= periods)
            {
                return;
            }

            if (seen.Add(periodOf(candidate)))
            {
                kept.Add(candidate.Id);
            }
        }
    }
}
