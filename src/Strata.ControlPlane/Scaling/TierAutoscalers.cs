using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Scaling.Policies;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Scaling;

/// <summary>
/// The autoscaler of each scaled tier, kept from tick to tick for its breach periods, windows and cooldowns, and made
/// anew when the tier's scaling settings change.
/// </summary>
/// <remarks>
/// Keyed by the runtime object, not the deployment's name: a deployment deleted and created again under the same
/// name is a new runtime, and must not inherit the old one's cooldowns and breach periods.
/// </remarks>
internal sealed class TierAutoscalers(TimeProvider time)
{
    private readonly Dictionary<(DeploymentRuntime Runtime, string Tier), (string Settings, TierAutoscaler Scaler)> _scalers = [];

    public int Count => _scalers.Count;

    public TierAutoscaler For(DeploymentRuntime runtime, TierSpec tier, TierState state)
    {
        var key = (runtime, tier.Name);
        if (!_scalers.TryGetValue(key, out var entry) || entry.Settings != state.SettingsDigest)
        {
            entry = (state.SettingsDigest, new TierAutoscaler(tier, new TierAutoscalerOptions(), time));
            _scalers[key] = entry;
        }

        return entry.Scaler;
    }

    /// <summary>Forgets the autoscalers of every tier not named here: deleted deployments and tiers no longer scaled.</summary>
    public void Retain(IEnumerable<(DeploymentRuntime Runtime, string Tier)> scaled)
    {
        var keep = scaled.ToHashSet();
        foreach (var gone in _scalers.Keys.Where(k => !keep.Contains(k)).ToList())
        {
            _scalers.Remove(gone);
        }
    }
}
