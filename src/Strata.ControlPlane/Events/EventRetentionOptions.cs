namespace Strata.ControlPlane.Events;

/// <summary>How many events the control plane keeps, so that a deployment that logs in a loop cannot fill the disk.</summary>
public sealed class EventRetentionOptions
{
    /// <summary>The newest events kept per deployment; older ones are pruned.</summary>
    /// <value>The default is 10,000.</value>
    public int MaxEventsPerDeployment { get; set; } = 10_000;

    /// <summary>Events older than this are pruned, however few a deployment has.</summary>
    /// <value>The default is 30 days.</value>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Events are pruned after this many publishes, besides the periodic pruning, so that a burst never grows the
    /// store much past <see cref="MaxEventsPerDeployment"/>.
    /// </summary>
    /// <value>The default is 1,000.</value>
    public int PruneEveryPublishes { get; set; } = 1_000;

    /// <summary>How often events are pruned by age (and at start).</summary>
    /// <value>The default is 1 hour.</value>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Returns every problem with these options (empty when they are valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxEventsPerDeployment < 1)
        {
            errors.Add($"{nameof(MaxEventsPerDeployment)} must be at least 1");
        }

        if (MaxAge <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(MaxAge)} must be positive");
        }

        if (PruneEveryPublishes < 1)
        {
            errors.Add($"{nameof(PruneEveryPublishes)} must be at least 1");
        }

        if (PruneInterval <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(PruneInterval)} must be positive");
        }

        return errors;
    }
}
