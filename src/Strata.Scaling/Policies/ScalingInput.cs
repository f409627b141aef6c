using Strata.Scaling.Metrics;

namespace Strata.Scaling.Policies;

/// <summary>What the controller knows of a tier at one autoscaling tick.</summary>
public sealed record ScalingInput
{
    /// <summary>The tier's current desired server count.</summary>
    public required int Desired { get; init; }

    /// <summary>Servers in service now; target tracking scales the load they carry.</summary>
    public required int InService { get; init; }

    /// <summary>The latest measurements, null when none are available yet.</summary>
    public TierMetrics? Metrics { get; init; }

    /// <summary>
    /// Answers of the servers' scaling hooks run for this tick, by hook name (1 add, 0 keep, -1 remove; see
    /// <see cref="HookAnswer.Parse"/>). A hook that was not run this tick is absent, and its rule does nothing.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>> HookVotes { get; init; } = new Dictionary<string, IReadOnlyList<int>>();
}
