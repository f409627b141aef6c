using Strata.Scaling.Metrics;
using Strata.Scaling.Policies;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.Scaling.Tests;

/// <summary>Builds tiers, rules and inputs for autoscaler tests.</summary>
internal static class TestTiers
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TierSpec Tier(ServerCount servers, params ScalingRuleSpec[] rules) =>
        new() { Name = "web", Image = "app", Servers = servers, Scaling = rules };

    public static TierAutoscaler Autoscaler(ManualTimeProvider time, ServerCount servers, params ScalingRuleSpec[] rules) =>
        new(Tier(servers, rules), new TierAutoscalerOptions(), time);

    public static ScalingRuleSpec Threshold(ScalingMetric metric, double? above, double? below, int breachSeconds = 60, int cooldownSeconds = 120, int step = 1) => new()
    {
        Kind = ScalingRuleKind.Threshold,
        Metric = metric,
        Above = above,
        Below = below,
        BreachPeriod = TimeSpan.FromSeconds(breachSeconds),
        Cooldown = TimeSpan.FromSeconds(cooldownSeconds),
        Step = step,
    };

    public static ScalingRuleSpec Target(ScalingMetric metric, double target, int windowSeconds = 300, int cooldownSeconds = 0, int step = 1) => new()
    {
        Kind = ScalingRuleKind.TargetTracking,
        Metric = metric,
        Target = target,
        StabilizationWindow = TimeSpan.FromSeconds(windowSeconds),
        Cooldown = TimeSpan.FromSeconds(cooldownSeconds),
        Step = step,
    };

    public static ScalingRuleSpec Schedule(string cron, int? min = null, int? max = null, int? desired = null) => new()
    {
        Kind = ScalingRuleKind.Schedule, Cron = cron, ScheduleMin = min, ScheduleMax = max, ScheduleDesired = desired,
    };

    public static ScalingRuleSpec Hook(string hook = "scaleCheck", int cooldownSeconds = 0, int step = 1) => new()
    {
        Kind = ScalingRuleKind.Hook, Hook = hook, Cooldown = TimeSpan.FromSeconds(cooldownSeconds), Step = step,
    };

    /// <summary>An input whose servers all measure <paramref name="cpu"/> percent CPU.</summary>
    public static ScalingInput Cpu(int desired, double cpu, int? inService = null, double? requestRate = null) => new()
    {
        Desired = desired,
        InService = inService ?? desired,
        Metrics = new TierMetrics
        {
            Tier = "web",
            Timestamp = Start,
            Servers = [.. Enumerable.Range(0, inService ?? desired).Select(i => new ServerMetrics($"web-{i}", cpu, 100_000_000, 10))],
            RequestsPerSecondPerServer = requestRate,
        },
    };

    public static ScalingInput Votes(int desired, params int[] votes) => new()
    {
        Desired = desired,
        InService = desired,
        HookVotes = new Dictionary<string, IReadOnlyList<int>> { ["scaleCheck"] = votes },
    };

    /// <summary>Ticks every <paramref name="every"/> until <paramref name="duration"/> has passed, returning each decision.</summary>
    public static List<ScalingDecision?> Run(TierAutoscaler autoscaler, ManualTimeProvider time, TimeSpan duration, TimeSpan every, Func<ScalingInput> input)
    {
        var decisions = new List<ScalingDecision?>();
        for (var elapsed = TimeSpan.Zero; elapsed < duration; elapsed += every)
        {
            decisions.Add(autoscaler.Tick(input()));
            time.Advance(every);
        }

        return decisions;
    }
}
