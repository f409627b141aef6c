namespace Strata.Planning.Tiers;

/// <summary>Places new servers in the zone that has the fewest, ties going to the zone listed first.</summary>
internal sealed class ZoneBalancer
{
    private readonly IReadOnlyList<string> _zones;
    private readonly Dictionary<string, int> _counts;

    public ZoneBalancer(IReadOnlyList<string> zones, IEnumerable<string> occupied)
    {
        _zones = zones;
        _counts = zones.Distinct().ToDictionary(z => z, _ => 0, StringComparer.Ordinal);
        foreach (var zone in occupied)
        {
            if (_counts.TryGetValue(zone, out var count))
            {
                _counts[zone] = count + 1;
            }
        }
    }

    public string Next()
    {
        var best = _zones[0];
        foreach (var zone in _zones)
        {
            if (_counts[zone] < _counts[best])
            {
                best = zone;
            }
        }

        _counts[best]++;
        return best;
    }
}
