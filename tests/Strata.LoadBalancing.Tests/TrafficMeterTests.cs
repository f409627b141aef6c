using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class TrafficMeterTests
{
    private readonly ManualTimeProvider _clock = new();
    private readonly TrafficMeter _meter = new();

    [Fact]
    public void Observe_FirstSnapshot_HasNoRatesYet()
    {
        Assert.Null(_meter.Observe("lb", Stats(Member("a", 100, 2))));
    }

    [Fact]
    public void Observe_TwoSnapshots_RatesOverTheLoadBalancersOwnWindow()
    {
        _meter.Observe("lb", Stats(Member("a", 100, 2), Member("b", 50, 0)));
        _clock.Advance(TimeSpan.FromSeconds(2));

        var rates = _meter.Observe("lb", Stats(Member("a", 300, 6), Member("b", 150, 0)))!;

        Assert.Equal(TimeSpan.FromSeconds(2), rates.Window);
        Assert.Equal(300, rates.Requests);
        Assert.Equal(150, rates.RequestsPerSecond);
        Assert.Equal(4.0 / 300, rates.ErrorRate, 6);
        Assert.Equal([("a", 100.0, 0.02), ("b", 50.0, 0.0)], rates.Members.Select(m => (m.Current.Name, m.RequestsPerSecond, m.ErrorRate)));
    }

    [Fact]
    public void Observe_MemberCountersRestarted_CountsThemFromZeroInsteadOfANegativeRate()
    {
        _meter.Observe("lb", Stats(Member("a", 500, 20)));
        _clock.Advance(TimeSpan.FromSeconds(4));

        var rates = _meter.Observe("lb", Stats(Member("a", 40, 1)))!;

        Assert.Equal(10, rates.RequestsPerSecond);
        Assert.Equal(1.0 / 40, rates.ErrorRate, 6);
    }

    [Fact]
    public void Observe_MemberJoinedInTheWindow_CountsItsRequestsFromZero()
    {
        _meter.Observe("lb", Stats(Member("a", 100, 0)));
        _clock.Advance(TimeSpan.FromSeconds(1));

        var rates = _meter.Observe("lb", Stats(Member("a", 110, 0), Member("b", 5, 0)))!;

        Assert.Equal([("a", 10L), ("b", 5L)], rates.Members.Select(m => (m.Current.Name, m.Requests)));
    }

    [Fact]
    public void Observe_OnlyNoMemberResponses_AllRequestsFailed()
    {
        _meter.Observe("lb", Stats(noMember: 3));
        _clock.Advance(TimeSpan.FromSeconds(1));

        var rates = _meter.Observe("lb", Stats(noMember: 13))!;

        Assert.Equal(0, rates.RequestsPerSecond);
        Assert.Equal(10, rates.Errors);
        Assert.Equal(1, rates.ErrorRate);
    }

    [Fact]
    public void Observe_SnapshotNotLaterThanThePrevious_HasNoRates()
    {
        _meter.Observe("lb", Stats(Member("a", 100, 0)));

        Assert.Null(_meter.Observe("lb", Stats(Member("a", 120, 0))));
    }

    [Fact]
    public void Observe_LoadBalancersApart_EachHasItsOwnWindow()
    {
        _meter.Observe("one", Stats(Member("a", 100, 0)));
        _clock.Advance(TimeSpan.FromSeconds(1));
        _meter.Observe("two", Stats(Member("a", 1_000, 0)));
        _clock.Advance(TimeSpan.FromSeconds(1));

        var one = _meter.Observe("one", Stats(Member("a", 120, 0)))!;
        var two = _meter.Observe("two", Stats(Member("a", 1_010, 0)))!;

        Assert.Equal((10.0, 10.0), (one.RequestsPerSecond, two.RequestsPerSecond));
    }

    [Fact]
    public void Forget_ThenObserve_StartsANewWindow()
    {
        _meter.Observe("lb", Stats(Member("a", 100, 0)));
        _clock.Advance(TimeSpan.FromSeconds(1));

        _meter.Forget();

        Assert.Null(_meter.Observe("lb", Stats(Member("a", 200, 0))));
    }

    private LoadBalancerStats Stats(params MemberStats[] members) => Stats(0, members);

    private LoadBalancerStats Stats(long noMember, params MemberStats[] members) => new()
    {
        Id = "lb",
        Timestamp = _clock.GetUtcNow(),
        NoMemberResponses = noMember,
        Members = members,
    };

    private static MemberStats Member(string name, long requests, long errors) => new()
    {
        Name = name,
        State = MemberState.Active,
        InFlight = 0,
        Requests = requests,
        Errors = errors,
        Retried = 0,
        LatencyP50 = TimeSpan.Zero,
        LatencyP99 = TimeSpan.Zero,
    };
}
