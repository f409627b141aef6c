namespace Strata.Scaling.Policies;

/// <summary>A change of a tier's desired server count and why it was made.</summary>
/// <param name="NewDesired">The tier's new desired count, within its (possibly scheduled) min and max.</param>
/// <param name="Reason">For the event log, e.g. <c>cpu 87.5% above 70% for 60s</c>.</param>
/// <param name="Metric">The metric that caused it (<c>cpu</c>, <c>requestRate</c>…, or the hook name), null for schedules and limits.</param>
/// <param name="Value">The metric's value that caused it (the winning answer for a hook).</param>
public sealed record ScalingDecision(int NewDesired, string Reason, string? Metric, double? Value);
