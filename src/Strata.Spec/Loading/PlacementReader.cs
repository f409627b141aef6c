using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>
/// Reads a tier's <c>placement</c>: <c>{ zones: [...], regions: [...], labels: {k: v}, spread: zone|host }</c>, and a
/// load balancer's, which has no <c>spread</c>.
/// </summary>
internal static class PlacementReader
{
    private static readonly string[] s_keys = ["zones", "regions", "labels", "spread"];

    // A load balancer is one process: there is nothing to spread.
    private static readonly string[] s_loadBalancerKeys = ["zones", "regions", "labels"];

    private static readonly Dictionary<string, PlacementSpread> s_spreads = new(StringComparer.Ordinal)
    {
        ["zone"] = PlacementSpread.Zone, ["host"] = PlacementSpread.Host,
    };

    /// <param name="node">The <c>placement</c> value, or null when the tier has none.</param>
    /// <param name="path">E.g. <c>tiers.web.placement</c>.</param>
    /// <param name="owner">Where the tier is, for a value that is missing.</param>
    /// <param name="tierZones">The tier's own <c>zones</c> node, which may not be given beside <c>placement.zones</c>.</param>
    /// <param name="context">Where diagnostics go.</param>
    /// <param name="forLoadBalancer">A load balancer's placement, which has no <c>spread</c>.</param>
    public static PlacementSpec? Read(SpecNode? node, string path, SourceLocation owner, SpecNode? tierZones, ReadContext context, bool forLoadBalancer = false)
    {
        if (node is null || MapReader.Open(node, path, owner, context, forLoadBalancer ? s_loadBalancerKeys : s_keys, emptyAllowed: true) is not { } map)
        {
            return null;
        }

        if (map["zones"] is { } zones && tierZones is not null)
        {
            context.Error(zones.Location, DiagnosticCodes.Conflict, $"{path}.zones: the tier lists zones already (line {tierZones.Location.Line})",
                "list the zones in one place: placement.zones, or the tier's zones");
        }

        return new PlacementSpec
        {
            Zones = TierReader.ReadNames(map["zones"], path + ".zones", "zone", context),
            Regions = TierReader.ReadNames(map["regions"], path + ".regions", "region", context),
            Labels = ReadLabels(map["labels"], path + ".labels", map.Mapping.Location, context),
            Spread = context.Choice(map["spread"], path + ".spread", s_spreads) ?? PlacementSpread.Zone,
            Location = map.Mapping.Location,
        };
    }

    private static Dictionary<string, string> ReadLabels(SpecNode? node, string path, SourceLocation owner, ReadContext context)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null || MapReader.OpenNamed(node, path, owner, context) is not { } map)
        {
            return labels;
        }

        foreach (var (key, value) in map.Entries)
        {
            if (context.CheckName(key, path, "label") && context.Text(value, $"{path}.{key.Value}") is { } text)
            {
                labels[key.Value] = text;
            }
        }

        return labels;
    }
}
