using System.Text.Json.Serialization;

namespace Strata.Scaling.Policies;

/// <summary>
/// Everything a <see cref="TierAutoscaler"/> remembers between ticks. Replaced, never changed, on each tick, so it can
/// be shown or persisted (it serializes with System.Text.Json) and handed back after a restart.
/// </summary>
public sealed record TierScalingState
{
    /// <summary>The tier's lowest server count now: the spec's, or the last schedule's that fired.</summary>
    public required int Min { get; init; }

    /// <summary>The tier's highest server count now: the spec's, or the last schedule's that fired.</summary>
    public required int Max { get; init; }

    /// <summary>True while an update runs; nothing is decided then.</summary>
    public bool Paused { get; init; }

    /// <summary>When the desired count was last changed by a rule; cooldowns count from here.</summary>
    public DateTimeOffset? LastActionAt { get; init; }

    /// <summary>Schedules have been applied up to this time; null before the first tick.</summary>
    public DateTimeOffset? SchedulesCheckedAt { get; init; }

    /// <summary>The state of each non-schedule rule, in the order of the tier's rules.</summary>
    public IReadOnlyList<PolicyState> Policies { get; init; } = [];

    /// <summary>Increases with each change.</summary>
    public long Version { get; init; }
}

/// <summary>What one scaling rule remembers.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(ThresholdState), "threshold")]
[JsonDerivedType(typeof(TargetTrackingState), "target")]
[JsonDerivedType(typeof(HookState), "hook")]
public abstract record PolicyState;

/// <summary>
/// Since when a threshold rule's metric has been above or below its limits (null when it is not), and the moment
/// the rule last started over (created, resumed or acted): no breach counts from before it.
/// </summary>
public sealed record ThresholdState(DateTimeOffset? AboveSince, DateTimeOffset? BelowSince, DateTimeOffset? CountsFrom = null) : PolicyState;

/// <summary>The desired counts a target-tracking rule computed within its stabilization window, oldest first.</summary>
public sealed record TargetTrackingState(IReadOnlyList<TimedRecommendation> Recommendations) : PolicyState;

/// <summary>A hook rule keeps nothing between ticks: each tick's answers decide alone.</summary>
public sealed record HookState : PolicyState;

/// <summary>A desired count a rule computed at a moment.</summary>
public sealed record TimedRecommendation(DateTimeOffset At, int Desired);
