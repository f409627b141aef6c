using Strata.Providers;
using Strata.Providers.Hosts.Placement;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Hosts;

/// <summary>A tier's placement rules as providers take them: <c>placement</c>, with the tier's own <c>zones</c> when it lists none.</summary>
public static class TierPlacement
{
    public static PlacementRules RulesOf(TierSpec tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        var placement = tier.Placement ?? PlacementSpec.Default;
        return new PlacementRules
        {
            Zones = placement.Zones.Count > 0 ? placement.Zones : tier.Zones,
            Regions = placement.Regions,
            Labels = placement.Labels,
            SpreadByHost = placement.Spread == PlacementSpread.Host,
        };
    }

    /// <summary>What each of the tier's servers reserves on its host: its <c>resources</c>, or nothing.</summary>
    public static ServerResources ResourcesOf(TierSpec tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        return tier.Resources is { } resources ? new ServerResources(resources.Cpu, resources.MemoryBytes) : ServerResources.None;
    }

    public static PlacementRequest RequestOf(string deployment, TierSpec tier) =>
        new(deployment, tier.Name, [.. tier.Ports.Select(p => p.Port)], RulesOf(tier), ResourcesOf(tier));
}
