using Strata.Spec.Model;

namespace Strata.Scaling.Policies;

/// <summary>
/// Keeps a metric near a target: the count that would bring it there is <c>ceil(in service × value / target)</c>.
/// Scale-out follows that count at once; scale-in goes no lower than the highest count computed within the
/// stabilization window, and at most <c>step</c> servers per action, so a short dip does not remove servers.
/// </summary>
internal sealed class TargetTrackingPolicy : IScalingPolicy
{
    // Guards ceil() against ratios such as 3.0000000001 that are exact in decimal.
    private const double CeilingSlack = 1e-9;

    private readonly ScalingMetric _metric;
    private readonly double _target;
    private readonly double _tolerance;

    public TargetTrackingPolicy(ScalingRuleSpec rule, double tolerance)
    {
        _metric = rule.Metric ?? throw new ArgumentException("a target-tracking rule needs a metric", nameof(rule));
        _target = rule.Target is > 0 and var target ? target : throw new ArgumentException("a target-tracking rule needs a target above 0", nameof(rule));
        _tolerance = tolerance;
        Rule = rule;
    }

    public ScalingRuleSpec Rule { get; }

    public PolicyState InitialState { get; } = new TargetTrackingState([]);

    public PolicyEvaluation Evaluate(PolicyContext context, PolicyState state)
    {
        var desired = context.Input.Desired;
        var history = Window((TargetTrackingState)state, context.Now, desired);
        if (context.Input.Metrics?.Value(_metric) is not { } value || context.Input.InService <= 0)
        {
            return new PolicyEvaluation(new TargetTrackingState(history), null);
        }

        var wanted = Wanted(value, context.Input.InService, desired);
        history = [.. history, new TimedRecommendation(context.Now, wanted)];
        var next = new TargetTrackingState(history);
        if (wanted > desired)
        {
            return new PolicyEvaluation(next, Recommend(wanted, value));
        }

        var stabilized = Math.Max(history.Max(r => r.Desired), desired - Rule.Step);
        return new PolicyEvaluation(next, stabilized < desired ? Recommend(stabilized, value) : null);
    }

    // After any change the window starts over from the new count, so scale-in waits a full window after it.
    public PolicyState AfterAction(PolicyState state, DateTimeOffset now, int desired) =>
        new TargetTrackingState([.. Window((TargetTrackingState)state, now, desired), new TimedRecommendation(now, desired)]);

    private int Wanted(double value, int inService, int desired)
    {
        var ratio = value / _target;
        if (Math.Abs(ratio - 1) <= _tolerance)
        {
            return desired;
        }

        // Booting servers are not in service yet: never recommend fewer servers while above target, or more below it.
        var wanted = (int)Math.Min(int.MaxValue, Math.Ceiling(inService * ratio - CeilingSlack));
        return ratio > 1 ? Math.Max(wanted, desired) : Math.Min(Math.Max(wanted, 0), desired);
    }

    // The recommendations still inside the window. An empty window starts from the current count, so scale-in
    // waits a whole window after the autoscaler starts, resumes or has gone without measurements.
    private List<TimedRecommendation> Window(TargetTrackingState state, DateTimeOffset now, int desired)
    {
        if (Rule.StabilizationWindow <= TimeSpan.Zero)
        {
            return [];
        }

        var start = now - Rule.StabilizationWindow;
        var kept = state.Recommendations.Where(r => r.At > start).ToList();
        return kept.Count > 0 ? kept : [new TimedRecommendation(now, desired)];
    }

    private Recommendation Recommend(int desired, double value) =>
        new(desired,
            $"{MetricText.Name(_metric)} {MetricText.Value(_metric, value)}, target {MetricText.Value(_metric, _target)}: {desired} servers",
            MetricText.Name(_metric),
            value);
}
