namespace Strata.Providers.Hosts.Placement;

/// <summary>A host servers may be placed on: ready, connected, where it stands, and the capacity its agent measured.</summary>
/// <param name="Cores">Logical CPU cores; reservations on the host never add up to more.</param>
/// <param name="MemoryBytes">Memory; reservations on the host never add up to more.</param>
public sealed record PlacementHost(string Name, string Zone, string? Region, IReadOnlyDictionary<string, string> Labels, double Cores = 0, long MemoryBytes = 0);

/// <summary>A server already on a host, counted for load and spread, holding its ports and its reservation there.</summary>
public sealed record PlacedServer(string ServerId, string Host, string Deployment, string Tier, IReadOnlyList<int> Ports, ServerResources? Resources = null)
{
    public ServerResources Reserved => Resources ?? ServerResources.None;
}

/// <summary>
/// New servers of one tier to place, each reserving <paramref name="Resources"/> (none when null); a load balancer is
/// placed as one such server, named in messages by <paramref name="Subject"/> (e.g. <c>load balancer 'front'</c>).
/// </summary>
public sealed record PlacementRequest(string Deployment, string Tier, IReadOnlyList<int> Ports, PlacementRules Rules, ServerResources? Resources = null, string? Subject = null)
{
    public ServerResources Reserves => Resources ?? ServerResources.None;

    /// <summary>What is placed, for messages: <c>tier 'web'</c> unless <see cref="Subject"/> says otherwise.</summary>
    public string Who => Subject ?? $"tier '{Tier}'";
}

/// <summary>
/// The pure decision of which host a new server goes to. A host qualifies when it matches the tier's rules, none of
/// its servers holds a port the new one needs (servers on a host share its address), and the new server's reservation
/// fits beside theirs within the cores and memory the host has. Among those, by default the zone with the fewest
/// servers of the tier wins, then the least-loaded host; with <see cref="PlacementRules.SpreadByHost"/> the host with
/// the fewest servers of the tier, then the least loaded. A host's load is the larger of its reserved shares of CPU
/// and memory, then its number of servers. Ties go by name.
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

        shortage = count == 1 ? shortage
            : chosen.Count > 0 && TakenByNew(hosts, request, chosen) ? PortsShort(hosts, request, count, chosen.Count)
            : $"{shortage} ({chosen.Count} of the {count} new servers would fit)";
        return null;
    }

    /// <summary>
    /// Whether the next new server finds no host with its ports free only because the new servers placed before it
    /// took them: every host it may use with the ports free has one of them now.
    /// </summary>
    private static bool TakenByNew(IReadOnlyList<PlacementHost> hosts, PlacementRequest request, IReadOnlyList<PlacementHost> chosen) =>
        request.Ports.Count > 0 && hosts.Where(h => Matches(h, request.Rules)).All(h => chosen.Any(c => c.Name == h.Name));

    /// <summary>The shortage of a tier whose new servers need more hosts than it may use: one per host, for its ports.</summary>
    private static string PortsShort(IReadOnlyList<PlacementHost> hosts, PlacementRequest request, int count, int fit)
    {
        var usable = hosts.Where(h => Matches(h, request.Rules)).Select(h => h.Name).ToList();
        var ports = request.Ports.Count == 1 ? $"port {request.Ports[0]}" : $"ports {string.Join(", ", request.Ports.SkipLast(1))} and {request.Ports[^1]}";
        return $"no capacity: {request.Who} needs {ports} on each of its {count} new servers, and servers on one host share its address: "
            + $"the host{(usable.Count == 1 ? "" : "s")} it may use ({string.Join(", ", usable)}) take{(usable.Count == 1 ? "s" : "")} {fit} of them; "
            + "add hosts, or run fewer servers";
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
            servers.Add(new PlacedServer($"new-{i}", host, request.Deployment, request.Tier, request.Ports, request.Reserves));
        }

        return chosen;
    }

    /// <summary>The host for one new server, or null with <paramref name="shortage"/> saying why none qualifies.</summary>
    public static string? Choose(IReadOnlyList<PlacementHost> hosts, IReadOnlyList<PlacedServer> placed, PlacementRequest request, out string? shortage)
    {
        var matching = hosts.Where(h => Matches(h, request.Rules)).ToList();
        var free = matching.Where(h => !placed.Any(s => s.Host == h.Name && s.Ports.Intersect(request.Ports).Any())).ToList();
        var fitting = free.Where(h => Fits(h, placed, request.Reserves)).ToList();
        shortage = (hosts.Count, matching.Count, free.Count, fitting.Count) switch
        {
            (0, _, _, _) => "no capacity: no host is ready",
            (_, 0, _, _) => $"no capacity: none of the {hosts.Count} ready hosts matches the placement of {request.Who} ({Describe(request.Rules)})",
            (_, _, 0, _) => $"no capacity: every host {request.Who} may use ({string.Join(", ", matching.Select(h => h.Name))}) has {Holders(matching, placed, request)} on port {string.Join("/", request.Ports)} already",
            (_, _, _, 0) => $"no capacity: {request.Who} reserves {request.Reserves} per server, which no host it may use has free ({string.Join("; ", free.Select(h => Exhausted(h, placed, request.Reserves)))})",
            _ => null,
        };
        if (fitting.Count == 0)
        {
            return null;
        }

        int OfTier(string host) => placed.Count(s => s.Host == host && s.Deployment == request.Deployment && s.Tier == request.Tier);
        if (request.Rules.SpreadByHost)
        {
            return LeastLoaded(fitting, placed, OfTier).Name;
        }

        var zoneOf = hosts.ToDictionary(h => h.Name, h => h.Zone, StringComparer.Ordinal);
        int InZone(string zone) => placed.Count(s => zoneOf.GetValueOrDefault(s.Host) == zone && s.Deployment == request.Deployment && s.Tier == request.Tier);
        var zone = fitting.Select(h => h.Zone).Distinct().OrderBy(InZone).ThenBy(z => z, StringComparer.Ordinal).First();
        return LeastLoaded(fitting.Where(h => h.Zone == zone), placed, _ => 0).Name;
    }

    /// <summary>The tier of a load balancer placed as a server: <c>loadBalancers.NAME</c>, which no tier's name can be.</summary>
    public static string LoadBalancerTier(string name) => $"loadBalancers.{name}";

    /// <summary>Whether a placed entry is a load balancer's (see <see cref="LoadBalancerTier"/>), not a server's.</summary>
    public static bool IsLoadBalancer(PlacedServer placed) => placed.Tier.StartsWith("loadBalancers.", StringComparison.Ordinal);

    /// <summary>What holds the wanted ports on the hosts: servers, and load balancers when one of them does.</summary>
    private static string Holders(List<PlacementHost> hosts, IReadOnlyList<PlacedServer> placed, PlacementRequest request) =>
        placed.Any(s => IsLoadBalancer(s) && hosts.Any(h => h.Name == s.Host) && s.Ports.Intersect(request.Ports).Any())
            ? "a server or a load balancer"
            : "a server";

    /// <summary>What the servers on a host reserve together.</summary>
    public static ServerResources ReservedOn(string host, IEnumerable<PlacedServer> placed)
    {
        var on = placed.Where(s => s.Host == host).Select(s => s.Reserved).ToList();
        return new ServerResources(on.Sum(r => r.Cpu), on.Sum(r => r.MemoryBytes));
    }

    /// <summary>The host first by <paramref name="first"/>, then by load, then by number of servers, then by name.</summary>
    private static PlacementHost LeastLoaded(IEnumerable<PlacementHost> hosts, IReadOnlyList<PlacedServer> placed, Func<string, int> first) =>
        hosts.OrderBy(h => first(h.Name)).ThenBy(h => Load(h, ReservedOn(h.Name, placed))).ThenBy(h => placed.Count(s => s.Host == h.Name))
            .ThenBy(h => h.Name, StringComparer.Ordinal).First();

    /// <summary>The larger of the host's reserved shares of CPU and memory: 0 empty, 1 full.</summary>
    private static double Load(PlacementHost host, ServerResources reserved) =>
        Math.Max(Share(reserved.Cpu, host.Cores), Share(reserved.MemoryBytes, host.MemoryBytes));

    private static double Share(double reserved, double capacity) => reserved <= 0 ? 0 : capacity <= 0 ? double.PositiveInfinity : reserved / capacity;

    // A tiny tolerance, so that four servers of 0.1 CPU fill a core although 0.1 has no exact binary form.
    private static bool Fits(PlacementHost host, IReadOnlyList<PlacedServer> placed, ServerResources request)
    {
        var reserved = ReservedOn(host.Name, placed);
        return (request.Cpu <= 0 || reserved.Cpu + request.Cpu <= host.Cores + 1e-9)
            && (request.MemoryBytes <= 0 || reserved.MemoryBytes + request.MemoryBytes <= host.MemoryBytes);
    }

    /// <summary>Which resource ran out on a host, e.g. <c>h1: CPU, 1.75 of 2 cores reserved</c>.</summary>
    private static string Exhausted(PlacementHost host, IReadOnlyList<PlacedServer> placed, ServerResources request)
    {
        var reserved = ReservedOn(host.Name, placed);
        var parts = new List<string>();
        if (request.Cpu > 0 && reserved.Cpu + request.Cpu > host.Cores + 1e-9)
        {
            parts.Add($"CPU, {ServerResources.FormatCores(reserved.Cpu)} of {ServerResources.FormatCores(host.Cores)} cores reserved");
        }

        if (request.MemoryBytes > 0 && reserved.MemoryBytes + request.MemoryBytes > host.MemoryBytes)
        {
            parts.Add($"memory, {ServerResources.FormatBytes(reserved.MemoryBytes)} of {ServerResources.FormatBytes(host.MemoryBytes)} reserved");
        }

        return $"{host.Name}: {string.Join(" and ", parts)}";
    }

    /// <summary>Whether the host is in the zones and regions of <paramref name="rules"/> and carries their labels.</summary>
    public static bool Matches(PlacementHost host, PlacementRules rules) =>
        (rules.Zones.Count == 0 || rules.Zones.Contains(host.Zone))
        && (rules.Regions.Count == 0 || (host.Region is { } region && rules.Regions.Contains(region)))
        && (host.Region is not { } own || !rules.OutsideRegions.Contains(own))
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

        if (rules.OutsideRegions.Count > 0)
        {
            parts.Add($"outside region{(rules.OutsideRegions.Count == 1 ? "" : "s")} {string.Join(", ", rules.OutsideRegions)}");
        }

        parts.AddRange(rules.Labels.Select(l => $"label {l.Key}={l.Value}"));
        return parts.Count == 0 ? "any host" : string.Join("; ", parts);
    }
}
