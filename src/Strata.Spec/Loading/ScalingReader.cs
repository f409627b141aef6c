using Strata.Common.Scheduling;
using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads the scaling rules of a tier.</summary>
internal static class ScalingReader
{
    private static readonly string[] s_kindKeys = ["metric", "target", "schedule", "hook"];
    private static readonly string[] s_thresholdKeys = ["metric", "above", "below", "for", "cooldown", "step"];
    private static readonly string[] s_targetKeys = ["target", "cooldown", "stabilization", "step"];
    private static readonly string[] s_targetValueKeys = ["metric", "value"];
    private static readonly string[] s_scheduleKeys = ["schedule"];
    private static readonly string[] s_scheduleValueKeys = ["cron", "min", "max", "desired"];
    private static readonly string[] s_hookKeys = ["hook", "cooldown", "step"];

    private static readonly Dictionary<string, ScalingMetric> s_metrics = new(StringComparer.Ordinal)
    {
        ["cpu"] = ScalingMetric.Cpu, ["memory"] = ScalingMetric.Memory, ["requestRate"] = ScalingMetric.RequestRate,
        ["latency"] = ScalingMetric.Latency, ["errorRate"] = ScalingMetric.ErrorRate,
    };

    public static IReadOnlyList<ScalingRuleSpec> Read(SpecNode? node, string path, ReadContext context, ImageSpec? image)
    {
        var result = new List<ScalingRuleSpec>();
        var items = context.List(node, path) ?? [];
        for (var i = 0; i < items.Count; i++)
        {
            if (ReadRule(items[i], $"{path}[{i}]", context, image) is { } rule)
            {
                result.Add(rule);
            }
        }

        return result;
    }

    private static ScalingRuleSpec? ReadRule(SpecNode node, string path, ReadContext context, ImageSpec? image)
    {
        if (node is not SpecMapping mapping)
        {
            context.Error(node.Location, DiagnosticCodes.WrongShape, $"{path}: expected a mapping, found {node.KindName}", "write a rule such as { metric: cpu, above: 70, below: 30 }");
            return null;
        }

        var kinds = mapping.Entries.Select(e => e.Key.Value).Where(s_kindKeys.Contains).ToList();
        if (kinds.Count == 1 || (kinds.Count == 2 && kinds.Contains("metric") && kinds.Contains("target")))
        {
            // 'metric' inside a target-tracking rule belongs to 'target'; on its own it marks a threshold rule.
            var kind = kinds.Contains("target") ? "target" : kinds[0];
            return kind switch
            {
                "metric" => ReadThreshold(MapReader.Open(node, path, node.Location, context, s_thresholdKeys)!, path, context),
                "target" => ReadTarget(MapReader.Open(node, path, node.Location, context, s_targetKeys)!, path, context),
                "schedule" => ReadSchedule(MapReader.Open(node, path, node.Location, context, s_scheduleKeys)!, path, context),
                _ => ReadHook(MapReader.Open(node, path, node.Location, context, s_hookKeys)!, path, context, image),
            };
        }

        context.Error(node.Location, DiagnosticCodes.Conflict, $"{path}: a scaling rule needs exactly one of metric, target, schedule or hook",
            "write { metric: cpu, above: 70 }, { target: { metric: cpu, value: 50 } }, { schedule: { cron: \"0 8 * * *\", min: 2 } } or { hook: scaleCheck }");
        return null;
    }

    private static ScalingRuleSpec? ReadThreshold(MapReader map, string path, ReadContext context)
    {
        var defaults = new ScalingRuleSpec { Kind = ScalingRuleKind.Threshold };
        var rule = defaults with
        {
            Metric = context.Choice(map["metric"], path + ".metric", s_metrics),
            Above = context.Number(map["above"], path + ".above", 0),
            Below = context.Number(map["below"], path + ".below", 0),
            BreachPeriod = context.Duration(map["for"], path + ".for", positive: true) ?? defaults.BreachPeriod,
            Cooldown = context.Duration(map["cooldown"], path + ".cooldown") ?? defaults.Cooldown,
            Step = context.Int(map["step"], path + ".step", 1, 1000) ?? defaults.Step,
            Location = map.Mapping.Location,
        };
        if (!map.Has("above") && !map.Has("below"))
        {
            context.Error(map.Mapping.Location, DiagnosticCodes.MissingKey, $"{path}: a threshold rule needs above, below or both", "write above: 70 to scale out and below: 30 to scale in");
            return null;
        }

        if (rule is { Above: { } above, Below: { } below } && below >= above)
        {
            context.Error(map["below"]!.Location, DiagnosticCodes.OutOfRange, $"{path}: below ({below}) must be less than above ({above})", "leave a gap between them so the tier does not flap");
            return null;
        }

        return rule;
    }

    private static ScalingRuleSpec? ReadTarget(MapReader map, string path, ReadContext context)
    {
        var defaults = new ScalingRuleSpec { Kind = ScalingRuleKind.TargetTracking };
        if (MapReader.Open(map["target"], path + ".target", map.KeyOf("target")!.Location, context, s_targetValueKeys) is not { } target)
        {
            return null;
        }

        var metric = context.Choice(target.Required("metric", "write target: { metric: cpu, value: 50 }"), path + ".target.metric", s_metrics);
        var value = context.Number(target.Required("value", "write target: { metric: cpu, value: 50 }"), path + ".target.value", 0);
        return defaults with
        {
            Metric = metric,
            Target = value,
            Cooldown = context.Duration(map["cooldown"], path + ".cooldown") ?? defaults.Cooldown,
            StabilizationWindow = context.Duration(map["stabilization"], path + ".stabilization") ?? defaults.StabilizationWindow,
            Step = context.Int(map["step"], path + ".step", 1, 1000) ?? defaults.Step,
            Location = map.Mapping.Location,
        };
    }

    private static ScalingRuleSpec? ReadSchedule(MapReader map, string path, ReadContext context)
    {
        var schedulePath = path + ".schedule";
        if (MapReader.Open(map["schedule"], schedulePath, map.KeyOf("schedule")!.Location, context, s_scheduleValueKeys) is not { } schedule)
        {
            return null;
        }

        var cron = context.Text(schedule.Required("cron", "write cron: \"0 8 * * 1-5\""), schedulePath + ".cron");
        if (cron is not null && CronSchedule.Check(cron) is { } problem)
        {
            context.Error(schedule["cron"]!.Location, DiagnosticCodes.InvalidValue, $"{schedulePath}.cron: {problem}", "write five fields: minute hour day-of-month month day-of-week, e.g. \"0 8 * * 1-5\"");
            cron = null;
        }

        var min = context.Int(schedule["min"], schedulePath + ".min", 0, 10_000);
        var max = context.Int(schedule["max"], schedulePath + ".max", 0, 10_000);
        var desired = context.Int(schedule["desired"], schedulePath + ".desired", 0, 10_000);
        if (!schedule.Has("min") && !schedule.Has("max") && !schedule.Has("desired"))
        {
            context.Error(schedule.Owner, DiagnosticCodes.MissingKey, $"{schedulePath}: needs min, max or desired", "a schedule sets the tier's server counts from the given time on");
            return null;
        }

        if (min > max || desired < min || desired > max)
        {
            context.Error(schedule.Owner, DiagnosticCodes.OutOfRange, $"{schedulePath}: min ≤ desired ≤ max must hold", null);
            return null;
        }

        return cron is null ? null : new ScalingRuleSpec
        {
            Kind = ScalingRuleKind.Schedule, Cron = cron, ScheduleMin = min, ScheduleMax = max, ScheduleDesired = desired, Location = map.Mapping.Location,
        };
    }

    private static ScalingRuleSpec? ReadHook(MapReader map, string path, ReadContext context, ImageSpec? image)
    {
        var defaults = new ScalingRuleSpec { Kind = ScalingRuleKind.Hook };
        if (context.Text(map["hook"], path + ".hook") is not { } hook)
        {
            return null;
        }

        if (image is not null && !image.Hooks.ContainsKey(hook))
        {
            context.Error(map["hook"]!.Location, DiagnosticCodes.UnknownReference, $"{path}.hook: image '{image.Name}' has no hook '{hook}'",
                image.Hooks.Count == 0 ? $"add hooks: {{ {hook}: ./{hook}.sh }} to image '{image.Name}'" : NameSuggestions.Hint(hook, [.. image.Hooks.Keys], "hook"));
            return null;
        }

        return defaults with
        {
            Hook = hook,
            Cooldown = context.Duration(map["cooldown"], path + ".cooldown") ?? defaults.Cooldown,
            Step = context.Int(map["step"], path + ".step", 1, 1000) ?? defaults.Step,
            Location = map.Mapping.Location,
        };
    }
}
