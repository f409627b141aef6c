using System.Globalization;
using Strata.Common.Scheduling;
using Strata.Spec.Model;

namespace Strata.Scaling.Policies;

/// <summary>
/// From each cron time on, the tier's min, max and desired become the schedule's (those it gives). Times are UTC.
/// </summary>
internal sealed class SchedulePolicy
{
    private readonly CronSchedule _cron;

    public SchedulePolicy(ScalingRuleSpec rule)
    {
        Rule = rule;
        _cron = CronSchedule.Parse(rule.Cron ?? throw new ArgumentException("a schedule rule needs a cron expression", nameof(rule)));
    }

    public ScalingRuleSpec Rule { get; }

    /// <summary>The latest time in (<paramref name="after"/>, <paramref name="atOrBefore"/>] the schedule fired, or null.</summary>
    public DateTimeOffset? FiredBetween(DateTimeOffset after, DateTimeOffset atOrBefore) => _cron.LatestBetween(after, atOrBefore);

    /// <summary>The bounds and desired count after the schedule fired, and how to describe it.</summary>
    public (int Min, int Max, int Desired, string Reason) Apply(int min, int max, int desired)
    {
        var newMin = Rule.ScheduleMin ?? min;
        var newMax = Rule.ScheduleMax ?? max;
        // A schedule giving only one bound may cross the other one left from before; the given bound wins.
        (newMin, newMax) = Rule.ScheduleMin is null ? (Math.Min(newMin, newMax), newMax) : (newMin, Math.Max(newMin, newMax));
        var newDesired = Math.Clamp(Rule.ScheduleDesired ?? desired, newMin, newMax);
        var given = new[] { ("min", Rule.ScheduleMin), ("max", Rule.ScheduleMax), ("desired", Rule.ScheduleDesired) }
            .Where(g => g.Item2 is not null)
            .Select(g => $"{g.Item1} {g.Item2!.Value.ToString(CultureInfo.InvariantCulture)}");
        return (newMin, newMax, newDesired, $"schedule '{_cron.Expression}' set {string.Join(", ", given)}");
    }
}
