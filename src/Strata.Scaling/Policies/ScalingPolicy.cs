using Strata.Spec.Model;

namespace Strata.Scaling.Policies;

/// <summary>One metric, target or hook rule of a tier, evaluated on each tick.</summary>
internal interface IScalingPolicy
{
    ScalingRuleSpec Rule { get; }

    PolicyState InitialState { get; }

    /// <summary>The rule's next state and the count it recommends now (null when it has no opinion).</summary>
    PolicyEvaluation Evaluate(PolicyContext context, PolicyState state);

    /// <summary>The state after the tier's desired count changed to <paramref name="desired"/> (by any rule or schedule).</summary>
    PolicyState AfterAction(PolicyState state, DateTimeOffset now, int desired);

    /// <summary>The state of a rule starting over at <paramref name="now"/>: new, or resumed after a pause.</summary>
    PolicyState Restart(DateTimeOffset now) => InitialState;
}

/// <summary>What a policy sees at a tick.</summary>
internal sealed record PolicyContext(DateTimeOffset Now, ScalingInput Input);

/// <summary>A policy's wish: <paramref name="Desired"/> may equal the current count, meaning "keep".</summary>
internal sealed record Recommendation(int Desired, string Reason, string? Metric, double? Value);

internal sealed record PolicyEvaluation(PolicyState State, Recommendation? Recommendation);
