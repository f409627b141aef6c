namespace Strata.Spec.Model;

/// <summary>How a tier's servers are spread when hosts are registered.</summary>
public enum PlacementSpread
{
    /// <summary>Evenly across the zones the tier may use, then the least-loaded host of the zone.</summary>
    Zone,

    /// <summary>Onto the least-loaded eligible host, whatever its zone.</summary>
    Host,
}

/// <summary>
/// Where a tier's servers may run when hosts are registered (<c>placement: { zones, regions, labels, spread }</c>):
/// a host is eligible when it is in one of <see cref="Zones"/> and <see cref="Regions"/> (when listed) and carries every
/// label of <see cref="Labels"/>. Without hosts every server runs on the control plane's machine and this is not used.
/// </summary>
public sealed record PlacementSpec
{
    /// <summary>The zones allowed; empty allows every zone.</summary>
    public IReadOnlyList<string> Zones { get; init; } = [];

    /// <summary>The regions allowed; empty allows every region.</summary>
    public IReadOnlyList<string> Regions { get; init; } = [];

    /// <summary>Labels a host must carry, each with this value.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The default is <see cref="PlacementSpread.Zone"/>.</summary>
    public PlacementSpread Spread { get; init; } = PlacementSpread.Zone;

    public SourceLocation Location { get; init; }

    /// <summary>The rules of a tier that says nothing: any host, spread across zones.</summary>
    public static PlacementSpec Default { get; } = new();
}
