using Strata.Spec.Model;

namespace Strata.Planning.Tiers;

/// <summary>
/// The zones a tier's servers are spread across, as the planner shows them and the control plane launches them:
/// the tier's own <c>zones</c>, or else the provider's first zone alone (docs/spec.md: <c>[local-a]</c>).
/// </summary>
public static class TierZones
{
    public static IReadOnlyList<string> Of(TierSpec tier, string defaultZone) =>
        tier.Zones.Count > 0 ? tier.Zones : [defaultZone];
}
