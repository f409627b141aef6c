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
    public void PlaceAll_MoreServersThanHostsWithThePortFree_NoneWithTheShortage()
    {
        PlacedServer[] placed = [new("x1", "h1", "other", "proxy", [8000])];

        var hosts = HostPlacement.PlaceAll(s_sixHostsInThreeZones[..3], placed, Web(), 3, out var shortage);

        Assert.Null(hosts);
        Assert.Equal("no capacity: every host tier 'web' may use (h1, h2, h3) has a server on port 8000 already (2 of the 3 new servers would fit)", shortage);
    }

    [Fact]
    public void Choose_NoHostReady_SaysSo()
    {
        Assert.Null(HostPlacement.Choose([], [], Web(), out var shortage));
        Assert.Equal("no capacity: no host is ready", shortage);
    }
}
