namespace Strata.Scaling;

/// <summary>Options of <see cref="TierAutoscaler"/>.</summary>
public sealed class TierAutoscalerOptions
{
    /// <summary>
    /// Target tracking leaves the count alone while the metric is within this fraction of the target, so small
    /// swings around it do not add and remove servers.
    /// </summary>
    /// <value>The default is 0.1 (within 10% of the target).</value>
    public double TargetTolerance { get; init; } = 0.1;

    /// <summary>Every problem with these options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate() =>
        TargetTolerance is >= 0 and < 1 ? [] : [$"{nameof(TargetTolerance)} must be at least 0 and less than 1, not {TargetTolerance}"];
}
