using Strata.Providers.Hosts.Placement;

namespace Strata.Providers.Hosts.Tests;

/// <summary>The pure placement decision, without hosts or processes.</summary>
[Trait("kind", "unit")]
public sealed class HostPlacementTests
{
    private static readonly Dictionary<string, string> s_none = [];

    private static readonly PlacementHost[] s_sixHostsInThreeZones =
    [
        new("h1", "a", "eu", s_none), new("h2", "b", "eu", s_none), new("h3", "c", "eu", s_none),
        new("h4", "a", "eu", s_none), new("h5", "b", "eu", s_none), new("h6", "c", "us", new Dictionary<string, string> { ["disk"] = "ssd" }),
    ];

    private static PlacementRequest Web(PlacementRules? rules = null) => new("hello", "web", [8000], rules ?? PlacementRules.Any);

    [Fact]
    public void PlaceAll_SixServersOnSixHostsInThreeZones_TwoPerZoneOnePerHost()
    {
        var hosts = HostPlacement.PlaceAll(s_sixHostsInThreeZones, [], Web(), 6, out var shortage)!;

        Assert.Null(shortage);
        Assert.Equal(["h1", "h2", "h3", "h4", "h5", "h6"], hosts.Select(h => h.Name).Order());
        Assert.Equal(["a", "b", "c", "a", "b", "c"], hosts.Select(h => h.Zone));
    }

    [Fact]
    public void Choose_ServersElsewhere_EmptiestZoneThenLeastLoadedHost()
    {
        PlacedServer[] placed =
        [
            new("w1", "h1", "hello", "web", [8000]), new("w2", "h2", "hello", "web", [8000]),
            new("o1", "h3", "other", "api", [9000]), new("o2", "h3", "other", "api", [9001]),
        ];

        Assert.Equal("h6", HostPlacement.Choose(s_sixHostsInThreeZones, placed, Web(), out _));
    }

    [Fact]
    public void Choose_SpreadByHost_LeastServersOfTheTierThenLeastLoaded()
    {
        PlacedServer[] placed = [new("w1", "h1", "hello", "web", [8000]), new("o1", "h2", "other", "api", [9000])];
        var rules = new PlacementRules { Zones = ["a", "b"], SpreadByHost = true };

        Assert.Equal("h4", HostPlacement.Choose(s_sixHostsInThreeZones, placed, Web(rules), out _));
    }

    [Fact]
    public void Choose_RegionsAndLabels_OnlyMatchingHosts()
    {
        Assert.Equal("h6", HostPlacement.Choose(s_sixHostsInThreeZones, [], Web(new PlacementRules { Labels = new Dictionary<string, string> { ["disk"] = "ssd" } }), out _));
        Assert.Null(HostPlacement.Choose(s_sixHostsInThreeZones, [], Web(new PlacementRules { Regions = ["ap"], Zones = ["a"] }), out var shortage));
        Assert.Equal("no capacity: none of the 6 ready hosts matches the placement of tier 'web' (zones a; regions ap)", shortage);
    }

    [Fact]
    public void Choose_OutsideRegions_LeavesOutTheirHostsButNotHostsWithoutARegion()
    {
        PlacementHost[] hosts = [.. s_sixHostsInThreeZones, new("h7", "d", null, s_none)];
        var outsideEu = new PlacementRules { OutsideRegions = ["eu"] };

        var placed = HostPlacement.PlaceAll(hosts, [], Web(outsideEu), 2, out var shortage)!;
        Assert.Null(HostPlacement.Choose(hosts, [], Web(outsideEu with { Regions = ["eu"] }), out var none));

        Assert.Null(shortage);
        Assert.Equal(["h6", "h7"], placed.Select(h => h.Name).Order());
        Assert.Equal("no capacity: none of the 7 ready hosts matches the placement of tier 'web' (regions eu; outside region eu)", none);
    }

    [Fact]
    public void PlaceAll_MoreServersThanHostsWithThePortFree_NoneWithTheShortage()
    {
        PlacedServer[] placed = [new("x1", "h1", "other", "proxy", [8000])];

        var hosts = HostPlacement.PlaceAll(s_sixHostsInThreeZones[..3], placed, Web(), 3, out var shortage);

        Assert.Null(hosts);
        Assert.Equal("no capacity: every host tier 'web' may use (h1, h2, h3) has a server on port 8000 already (2 of the 3 new servers would fit)", shortage);
    }

    [Fact]
    public void PlaceAll_MoreNewServersThanHostsForTheirPort_SaysTheyNeedAHostEach()
    {
        var hosts = HostPlacement.PlaceAll(s_sixHostsInThreeZones[..2], [], Web(), 3, out var shortage);

        Assert.Null(hosts);
        Assert.Equal(
            "no capacity: tier 'web' needs port 8000 on each of its 3 new servers, and servers on one host share its address: the hosts it may use (h1, h2) take 2 of them; add hosts, or run fewer servers",
            shortage);
    }

    [Fact]
    public void Choose_NoHostReady_SaysSo()
    {
        Assert.Null(HostPlacement.Choose([], [], Web(), out var shortage));
        Assert.Equal("no capacity: no host is ready", shortage);
    }

    private static readonly PlacementHost[] s_twoCoreHosts =
    [
        new("h1", "a", null, s_none, Cores: 2, MemoryBytes: 4L << 30), new("h2", "b", null, s_none, Cores: 2, MemoryBytes: 4L << 30),
    ];

    // Without ports, so that only the reservations limit how many servers a host takes.
    private static PlacementRequest Worker(double cpu, long memoryBytes) =>
        new("hello", "worker", [], PlacementRules.Any, new ServerResources(cpu, memoryBytes));

    [Fact]
    public void PlaceAll_ReservationsUpToTheCores_FillEveryHostAndNoMore()
    {
        var four = HostPlacement.PlaceAll(s_twoCoreHosts, [], Worker(1, 0), 4, out var none);
        var five = HostPlacement.PlaceAll(s_twoCoreHosts, [], Worker(1, 0), 5, out var shortage);

        Assert.Null(none);
        Assert.Equal(["h1", "h1", "h2", "h2"], four!.Select(h => h.Name).Order());
        Assert.Null(five);
        Assert.Equal(
            "no capacity: tier 'worker' reserves 1 CPU per server, which no host it may use has free (h1: CPU, 2 of 2 cores reserved; h2: CPU, 2 of 2 cores reserved) (4 of the 5 new servers would fit)",
            shortage);
    }

    [Fact]
    public void Choose_MemoryRunsOut_ShortageNamesMemoryOnEachHost()
    {
        PlacedServer[] placed =
        [
            new("d1", "h1", "other", "db", [], new ServerResources(0, 3L << 30)), new("d2", "h2", "other", "db", [], new ServerResources(0.5, 3L << 30)),
        ];

        Assert.Null(HostPlacement.Choose(s_twoCoreHosts, placed, Worker(0.25, 2L << 30), out var shortage));
        Assert.Equal(
            "no capacity: tier 'worker' reserves 0.25 CPU, 2 GiB memory per server, which no host it may use has free (h1: memory, 3 GiB of 4 GiB reserved; h2: memory, 3 GiB of 4 GiB reserved)",
            shortage);
    }

    [Fact]
    public void Choose_FewerServersButMoreReserved_TheLessReservedHostWins()
    {
        // h1 runs one server holding 1.5 of its 2 cores; h2 runs two holding 0.2: by reservation h2 is the less loaded.
        PlacedServer[] placed =
        [
            new("a1", "h1", "other", "api", [], new ServerResources(1.5, 0)),
            new("b1", "h2", "other", "batch", [], new ServerResources(0.1, 0)), new("b2", "h2", "other", "batch", [], new ServerResources(0.1, 0)),
        ];

        Assert.Equal("h2", HostPlacement.Choose(s_twoCoreHosts, placed, Worker(0.25, 0) with { Rules = new PlacementRules { SpreadByHost = true } }, out _));
        Assert.Equal("h2", HostPlacement.Choose([s_twoCoreHosts[0], s_twoCoreHosts[1] with { Zone = "a" }], placed, Worker(0.25, 0), out _));
    }

    [Fact]
    public void ReservedOn_ServersWithAndWithoutResources_SumsWhatTheyReserve()
    {
        PlacedServer[] placed =
        [
            new("a1", "h1", "d", "api", [8000], new ServerResources(0.5, 256L << 20)), new("a2", "h1", "d", "api", [8001]),
            new("a3", "h1", "d", "api", [8002], new ServerResources(0.25, 0)), new("b1", "h2", "d", "api", [8000], new ServerResources(1, 1)),
        ];

        Assert.Equal(new ServerResources(0.75, 256L << 20), HostPlacement.ReservedOn("h1", placed));
    }
}
