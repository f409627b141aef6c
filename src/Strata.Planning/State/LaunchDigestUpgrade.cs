using Strata.Spec.Model;

namespace Strata.Planning.State;

/// <summary>
/// Brings the recorded launches of a deployment applied before parameter values were part of a launch
/// (<see cref="SpecDigests.ParametersPartName"/>) up to date. Its servers were launched with the parameter values
/// stored with its spec, so their launch is the one those values give: recording it as such keeps the first plan
/// after the upgrade from replacing every server of a tier that reads a parameter.
/// </summary>
public static class LaunchDigestUpgrade
{
    /// <param name="state">The deployment's state as stored.</param>
    /// <param name="applied">The spec last applied to it, with the parameter values it was applied with.</param>
    public static DeploymentState Apply(DeploymentState state, DeploymentSpec applied)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(applied);
        var next = state;
        foreach (var tierState in state.Tiers)
        {
            if (Upgraded(tierState, applied) is { } upgraded)
            {
                next = next.WithTier(upgraded);
            }
        }

        return next;
    }

    /// <summary>The tier with the parameters part recorded, or null when it has it, needs none, or was not launched as the spec says.</summary>
    private static TierState? Upgraded(TierState tierState, DeploymentSpec applied)
    {
        // A rollout under way compares launches of two applies: it ends on the digests it recorded.
        if (tierState.LaunchParts.Count == 0 || tierState.LaunchParts.ContainsKey(SpecDigests.ParametersPartName) || tierState.Rollout is not null
            || applied.FindTier(tierState.LogicalName) is not { } tier || applied.FindImage(tier.Image) is not { } image)
        {
            return null;
        }

        var parts = SpecDigests.LaunchParts(tier, image, applied.ResolvedParameters);
        if (!parts.ContainsKey(SpecDigests.ParametersPartName) || SpecDigests.Launch(tier, image) != tierState.LaunchDigest)
        {
            return null;
        }

        var launch = SpecDigests.Launch(parts);
        return tierState with
        {
            LaunchDigest = launch,
            LaunchParts = parts,
            Servers = [.. tierState.Servers.Select(s => s.LaunchDigest == tierState.LaunchDigest ? s with { LaunchDigest = launch } : s)],
        };
    }
}
