namespace Strata.ControlPlane.Scaling;

/// <summary>Options of the autoscaler loop.</summary>
public sealed class AutoscalingOptions
{
    /// <summary>How often every tier with scaling rules is measured and decided on. The default is 1 second.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a <c>scaleCheck</c> hook may run before its answer is ignored. The default is 5 seconds.</summary>
    public TimeSpan HookTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
