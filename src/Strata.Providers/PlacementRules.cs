namespace Strata.Providers;

/// <summary>
/// Where a server may be placed among hosts, from its tier's <c>placement</c>: a host qualifies when it is in one of
/// <see cref="Zones"/> and <see cref="Regions"/> (when listed) and carries every label of <see cref="Labels"/>.
/// Providers without hosts ignore it.
/// </summary>
public sealed record PlacementRules
{
    /// <summary>The zones allowed; empty allows every zone.</summary>
    public IReadOnlyList<string> Zones { get; init; } = [];

    /// <summary>The regions allowed; empty allows every region.</summary>
    public IReadOnlyList<string> Regions { get; init; } = [];

    /// <summary>
    /// Regions left out, whatever <see cref="Regions"/> says: a host in one of them never qualifies, one without a
    /// region does. A region drill places its scratch copy with them, as if those regions were lost.
    /// </summary>
    public IReadOnlyList<string> OutsideRegions { get; init; } = [];

    /// <summary>Labels a host must carry, each with this value.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// True to spread over hosts alone (the least-loaded eligible host); false, the default, to spread evenly across
    /// zones first and take the least-loaded host of the zone.
    /// </summary>
    public bool SpreadByHost { get; init; }

    /// <summary>Any host, spread across zones.</summary>
    public static PlacementRules Any { get; } = new();
}
