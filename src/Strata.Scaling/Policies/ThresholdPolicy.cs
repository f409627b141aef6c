using Strata.Spec.Model;

namespace Strata.Scaling.Policies;

/// <summary>
/// Threshold rule in the enStratus style: when the tier average stays above <c>above</c> for the whole breach period,
/// add <c>step</c> servers; when it stays below <c>below</c>, remove <c>step</c>. Each action starts a new breach period.
/// A breach starts when the measurement window that first showed it began, not when the tick read it: a rate over
/// the last second that is above the limit has been above for that second. Counted from the tick instead, a breach
/// period as long as the tick interval needed a second tick, and the tick's own jitter a third.
/// </summary>
/// <param name="rule">A threshold rule.</param>
/// <param name="windowTolerance">See <see cref="TierAutoscalerOptions.BreachWindowTolerance"/>.</param>
internal sealed class ThresholdPolicy(ScalingRuleSpec rule, double windowTolerance) : IScalingPolicy
{
    private readonly ScalingMetric _metric = rule.Metric ?? throw new ArgumentException("a threshold rule needs a metric", nameof(rule));

    public ScalingRuleSpec Rule { get; } = rule;

    public PolicyState InitialState { get; } = new ThresholdState(null, null);

    public PolicyEvaluation Evaluate(PolicyContext context, PolicyState state)
    {
        var previous = (ThresholdState)state;
        var value = context.Input.Metrics?.Value(_metric);
        var above = value is { } a && Rule.Above is { } upper && a > upper;
        var below = value is { } b && Rule.Below is { } lower && b < lower;
        var measured = context.Input.Metrics?.Window ?? TimeSpan.Zero;
        // A window reaching back before the rule started over (created, resumed, acted) only counts from then on.
        var windowStart = previous.CountsFrom is { } from && from > context.Now - measured ? from : context.Now - measured;
        var next = new ThresholdState(
            above ? previous.AboveSince ?? windowStart : null, below ? previous.BelowSince ?? windowStart : null, previous.CountsFrom);
        var window = context.Now - windowStart;
        var breach = Rule.BreachPeriod - (window < Rule.BreachPeriod ? window : Rule.BreachPeriod) * windowTolerance;
        var desired = context.Input.Desired;
        var recommendation = (next.AboveSince, next.BelowSince) switch
        {
            ({ } since, _) when context.Now - since >= breach =>
                Recommend(desired + Rule.Step, value!.Value, "above", Rule.Above!.Value, context.Now - since),
            (_, { } since) when context.Now - since >= breach =>
                Recommend(desired - Rule.Step, value!.Value, "below", Rule.Below!.Value, context.Now - since),
            _ => null,
        };
        return new PolicyEvaluation(next, recommendation);
    }

    public PolicyState AfterAction(PolicyState state, DateTimeOffset now, int desired) => Restart(now);

    public PolicyState Restart(DateTimeOffset now) => new ThresholdState(null, null, now);

    private Recommendation Recommend(int desired, double value, string side, double limit, TimeSpan breached) =>
        new(desired,
            $"{MetricText.Name(_metric)} {MetricText.Value(_metric, value)} {side} {MetricText.Value(_metric, limit)} for {MetricText.Duration(breached)}",
            MetricText.Name(_metric),
            value);
}
