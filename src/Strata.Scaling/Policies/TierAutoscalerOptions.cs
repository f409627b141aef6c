namespace Strata.Scaling.Policies;

/// <summary>Options of <see cref="TierAutoscaler"/>.</summary>
public sealed class TierAutoscalerOptions
{
    /// <summary>
    /// Target tracking leaves the count alone while the metric is within this fraction of the target, so small
    /// swings around it do not add and remove servers.
    /// </summary>
    /// <value>The default is 0.1 (within 10% of the target).</value>
    public double TargetTolerance { get; init; } = 0.1;

    /// <summary>
    /// A threshold rule's breach period counts as met when the breach is short of it by at most this fraction of the
    /// last measurement window. Windows run from tick to tick and are never exactly the tick interval; without this, a
    /// breach period of one interval would be met on the first window above only when that tick happened to be late.
    /// </summary>
    /// <value>The default is 0.1 (100 ms with one-second ticks).</value>
    public double BreachWindowTolerance { get; init; } = 0.1;

    /// <summary>Every problem with these options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (TargetTolerance is not (>= 0 and < 1))
        {
            errors.Add($"{nameof(TargetTolerance)} must be at least 0 and less than 1, not {TargetTolerance}");
        }

        if (BreachWindowTolerance is not (>= 0 and < 1))
        {
            errors.Add($"{nameof(BreachWindowTolerance)} must be at least 0 and less than 1, not {BreachWindowTolerance}");
        }

        return errors;
    }
}
