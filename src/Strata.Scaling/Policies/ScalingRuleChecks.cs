using Strata.Common.Scheduling;
using Strata.Spec.Model;

namespace Strata.Scaling.Policies;

/// <summary>
/// Checks that a tier's rules can be evaluated. The spec loader reports these as diagnostics; this guards rules that
/// were built in code or read from older state.
/// </summary>
internal static class ScalingRuleChecks
{
    public static IEnumerable<string> Check(TierSpec tier)
    {
        if (tier.Servers.Min < 0 || tier.Servers.Min > tier.Servers.Max)
        {
            yield return $"servers: min {tier.Servers.Min} and max {tier.Servers.Max} must satisfy 0 ≤ min ≤ max";
        }

        for (var i = 0; i < tier.Scaling.Count; i++)
        {
            foreach (var problem in Check(tier.Scaling[i]))
            {
                yield return $"scaling[{i}]: {problem}";
            }
        }
    }

    private static IEnumerable<string> Check(ScalingRuleSpec rule)
    {
        if (rule.Step < 1)
        {
            yield return $"step must be at least 1, not {rule.Step}";
        }

        if (rule.Cooldown < TimeSpan.Zero || rule.BreachPeriod < TimeSpan.Zero || rule.StabilizationWindow < TimeSpan.Zero)
        {
            yield return "cooldown, breach period and stabilization window must not be negative";
        }

        var problem = rule.Kind switch
        {
            ScalingRuleKind.Threshold when rule.Metric is null => "a threshold rule needs a metric",
            ScalingRuleKind.Threshold when rule.Above is null && rule.Below is null => "a threshold rule needs above, below or both",
            ScalingRuleKind.Threshold when rule.Above <= rule.Below => $"below ({rule.Below}) must be less than above ({rule.Above})",
            ScalingRuleKind.TargetTracking when rule.Metric is null => "a target-tracking rule needs a metric",
            ScalingRuleKind.TargetTracking when rule.Target is not > 0 => $"a target-tracking rule needs a target above 0, not {rule.Target?.ToString() ?? "none"}",
            ScalingRuleKind.Schedule when rule.Cron is null => "a schedule rule needs a cron expression",
            ScalingRuleKind.Schedule when CronSchedule.Check(rule.Cron) is { } cron => cron,
            ScalingRuleKind.Schedule when rule.ScheduleMin is null && rule.ScheduleMax is null && rule.ScheduleDesired is null => "a schedule rule needs min, max or desired",
            ScalingRuleKind.Schedule when rule.ScheduleMin > rule.ScheduleMax => $"the schedule's min ({rule.ScheduleMin}) is above its max ({rule.ScheduleMax})",
            ScalingRuleKind.Hook when string.IsNullOrWhiteSpace(rule.Hook) => "a hook rule needs a hook name",
            _ => null,
        };
        if (problem is not null)
        {
            yield return problem;
        }
    }
}
