using Strata.Spec.Model;

namespace Strata.Planning.State;

/// <summary>
/// Brings the recorded launches of a deployment applied before parameter values were part of a launch
/// (<see cref="SpecDigests.ParametersPartName"/>) up to date. Its servers were launched with the parameter values
/// stored with the spec they were launched from (the last apply, or the one before it while a rollout is under way),
/// so their launch is the one those values give: recording it as such keeps the first plan after the upgrade, and
/// a rollout under way, from replacing every server of a tier that reads a parameter.
/// </summary>
public static class LaunchDigestUpgrade
{
    /// <param name="state">The deployment's state as stored.</param>
    /// <param name="applied">The spec last applied to it, with the parameter values it was applied with.</param>
    /// <param name="previous">The spec applied before that one, when it is known (a rollout may be leaving it).</param>
    public static DeploymentState Apply(DeploymentState state, DeploymentSpec applied, DeploymentSpec? previous = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(applied);
        var next = state;
        foreach (var tierState in state.Tiers)
        {
            var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
            var current = Renaming(applied, tierState.LogicalName, renamed);
            if (previous is not null)
            {
                Renaming(previous, tierState.LogicalName, renamed);
            }

            if (Recorded(tierState).Any(renamed.ContainsKey))
            {
                next = next.WithTier(Renamed(tierState, renamed, current));
            }
        }

        return next;
    }

    /// <summary>
    /// Adds to <paramref name="renamed"/> the tier's launch digest without the parameters part, mapped to the one
    /// with it, when <paramref name="spec"/>'s tier reads parameters; returns the launch parts with it, or null.
    /// </summary>
    private static IReadOnlyDictionary<string, string>? Renaming(DeploymentSpec spec, string tierName, Dictionary<string, string> renamed)
    {
        if (spec.FindTier(tierName) is not { } tier || spec.FindImage(tier.Image) is not { } image)
        {
            return null;
        }

        var parts = SpecDigests.LaunchParts(tier, image, spec.ResolvedParameters);
        if (!parts.ContainsKey(SpecDigests.ParametersPartName))
        {
            return null;
        }

        renamed.TryAdd(SpecDigests.Launch(tier, image), SpecDigests.Launch(parts));
        return parts;
    }

    /// <summary>The launch digests the tier's state records: its own, its rollout's and its servers'.</summary>
    private static IEnumerable<string> Recorded(TierState tierState) =>
        tierState.Servers.Select(s => s.LaunchDigest).Append(tierState.LaunchDigest)
            .Concat(tierState.Rollout is { } rollout ? [rollout.FromLaunchDigest, rollout.ToLaunchDigest] : []);

    private static TierState Renamed(TierState tierState, Dictionary<string, string> renamed, IReadOnlyDictionary<string, string>? currentParts)
    {
        string Rename(string digest) => renamed.GetValueOrDefault(digest, digest);
        var launch = Rename(tierState.LaunchDigest);
        return tierState with
        {
            LaunchDigest = launch,
            LaunchParts = launch != tierState.LaunchDigest && currentParts is not null ? currentParts : tierState.LaunchParts,
            Rollout = tierState.Rollout is { } rollout
                ? rollout with { FromLaunchDigest = Rename(rollout.FromLaunchDigest), ToLaunchDigest = Rename(rollout.ToLaunchDigest) }
                : null,
            Servers = [.. tierState.Servers.Select(s => renamed.TryGetValue(s.LaunchDigest, out var to) ? s with { LaunchDigest = to } : s)],
        };
    }
}
