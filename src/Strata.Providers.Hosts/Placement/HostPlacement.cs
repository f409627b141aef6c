namespace Strata.Providers.Hosts.Placement;

/// <summary>A host servers may be placed on: ready, connected, and where it stands.</summary>
public sealed record PlacementHost(string Name, string Zone, string? Region, IReadOnlyDictionary<string, string> Labels);

/// <summary>A server already on a host, counted for load and spread, and holding its ports there.</summary>
public sealed record PlacedServer(string ServerId, string Host, string Deployment, string Tier, IReadOnlyList<int> Ports);

/// <summary>New servers of one tier to place.</summary>
public sealed record PlacementRequest(string Deployment, string Tier, IReadOnlyList<int> Ports, PlacementRules Rules);

/// <summary>
/// The pure decision of which host a new server goes to. A host qualifies when it matches the tier's rules and none
/// of its servers holds a port the new one needs (servers on a host share its address). Among those, by default the
/// zone with the fewest servers of the tier wins, then the host with the fewest servers of all; with
/// <see cref="PlacementRules.SpreadByHost"/> the host with the fewest servers of the tier, then of all. Ties go by name.
/// </summary>
public static class HostPlacement
{
    /// <summary>
    /// Places <paramref name="count"/> new servers one after the other, each counting the ones before; null with
    /// <paramref name="shortage"/> when not all of them fit, so that a tier never half-starts.
    /// </summary>
    public static IReadOnlyList<PlacementHost>? PlaceAll(
        IReadOnlyList<PlacementHost> hosts, IReadOnlyList<PlacedServer> placed, PlacementRequest request, int count, out string? shortage)
    {
        var chosen = PlaceUpTo(hosts, placed, request, count, out shortage);
        if (chosen.Count == count)
        {
            return chosen;
        }

        shortage = count == 1 ? shortage : $"{shortage} ({chosen.Count} of the {count} new servers would fit)";
        return null;
    }

    /// <summary>Places as many of <paramref name="count"/> new servers as fit, in order; <paramref name="shortage"/> says why the rest do not.</summary>
    public static IReadOnlyList<PlacementHost> PlaceUpTo(
        IReadOnlyList<PlacementHost> hosts, IReadOnlyList<PlacedServer> placed, PlacementRequest request, int count, out string? shortage)
    {
        var servers = placed.ToList();
        var chosen = new List<PlacementHost>();
        shortage = null;
        for (var i = 0; i < count && Choose(hosts, servers, request, out shortage) is { } host; i++)
        {
            chosen.Add(hosts.First(h => h.Name == host));
            servers.Add(new PlacedServer($"new-{i}", host, request.Deployment, request.Tier, request.Ports));
        }

        return chosen;
    }

    /// <summary>The host for one new server, or null with <paramref name="shortage"/> saying why none qualifies.</summary>
    public static string? Choose(IReadOnlyList<PlacementHost> hosts, IReadOnlyList<PlacedServer> placed, PlacementRequest request, out string? shortage)
    {
        var matching = hosts.Where(h => Matches(h, request.Rules)).ToList();
        var free = matching.Where(h => !placed.Any(s => s.Host == h.Name && s.Ports.Intersect(request.Ports).Any())).ToList();
        shortage = (hosts.Count, matching.Count, free.Count) switch
        {
            (0, _, _) => "no capacity: no host is ready",
            (_, 0, _) => $"no capacity: none of the {hosts.Count} ready hosts matches the placement of tier '{request.Tier}' ({Describe(request.Rules)})",
            (_, _, 0) => $"no capacity: every host tier '{request.Tier}' may use ({string.Join(", ", matching.Select(h => h.Name))}) has a server on port {string.Join("/", request.Ports)} already",
            _ => null,
        };
        if (free.Count == 0)
        {
            return null;
        }

        int OfTier(string host) => placed.Count(s => s.Host == host && s.Deployment == request.Deployment && s.Tier == request.Tier);
        int Load(string host) => placed.Count(s => s.Host == host);
        if (request.Rules.SpreadByHost)
        {
            return free.OrderBy(h => OfTier(h.Name)).ThenBy(h => Load(h.Name)).ThenBy(h => h.Name, StringComparer.Ordinal).First().Name;
        }

        var zoneOf = hosts.ToDictionary(h => h.Name, h => h.Zone, StringComparer.Ordinal);
        int InZone(string zone) => placed.Count(s => zoneOf.GetValueOrDefault(s.Host) == zone && s.Deployment == request.Deployment && s.Tier == request.Tier);
        var zone = free.Select(h => h.Zone).Distinct().OrderBy(InZone).ThenBy(z => z, StringComparer.Ordinal).First();
        return free.Where(h => h.Zone == zone).OrderBy(h => Load(h.Name)).ThenBy(h => h.Name, StringComparer.Ordinal).First().Name;
    }

    private static bool Matches(PlacementHost host, PlacementRules rules) =>
        (rules.Zones.Count == 0 || rules.Zones.Contains(host.Zone))
        && (rules.Regions.Count == 0 || (host.Region is { } region && rules.Regions.Contains(region)))
        && rules.Labels.All(l => host.Labels.TryGetValue(l.Key, out var value) && value == l.Value);

    private static string Describe(PlacementRules rules)
    {
        var parts = new List<string>();
        if (rules.Zones.Count > 0)
        {
            parts.Add($"zones {string.Join(", ", rules.Zones)}");
        }

        if (rules.Regions.Count > 0)
        {
            parts.Add($"regions {string.Join(", ", rules.Regions)}");
        }

        parts.AddRange(rules.Labels.Select(l => $"label {l.Key}={l.Value}"));
        return parts.Count == 0 ? "any host" : string.Join("; ", parts);
    }
}
