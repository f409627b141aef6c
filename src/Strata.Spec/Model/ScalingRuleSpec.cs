namespace Strata.Spec.Model;

public enum ScalingMetric { Cpu, Memory, RequestRate, Latency, ErrorRate }

public enum ScalingRuleKind { Threshold, TargetTracking, Schedule, Hook }

/// <summary>One scaling policy of a tier; a tier may have several.</summary>
public sealed record ScalingRuleSpec
{
    public required ScalingRuleKind Kind { get; init; }

    public ScalingMetric? Metric { get; init; }

    /// <summary>Threshold: scale out above this value (percent for cpu/memory, req/s, milliseconds).</summary>
    public double? Above { get; init; }

    /// <summary>Threshold: scale in below this value.</summary>
    public double? Below { get; init; }

    /// <summary>Target tracking: the value to keep the metric near.</summary>
    public double? Target { get; init; }

    /// <summary>How long a threshold must be breached before acting. The default is 60 seconds.</summary>
    public TimeSpan BreachPeriod { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Quiet time after a scaling action. The default is 120 seconds.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Servers added or removed per action. The default is 1.</summary>
    public int Step { get; init; } = 1;

    /// <summary>Target tracking: scale-in is decided over this window. The default is 300 seconds.</summary>
    public TimeSpan StabilizationWindow { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Schedule: a five-field cron expression.</summary>
    public string? Cron { get; init; }

    public int? ScheduleMin { get; init; }

    public int? ScheduleMax { get; init; }

    public int? ScheduleDesired { get; init; }

    /// <summary>Hook: the image hook asked for the desired server count, e.g. <c>scaleCheck</c>.</summary>
    public string? Hook { get; init; }

    public SourceLocation Location { get; init; }
}
