using System.Net;
using Microsoft.AspNetCore.Http;
using Strata.LoadBalancing.Proxy;
using Strata.LoadBalancing.Proxy.Membership;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class BackendSelectorTests
{
    private readonly MemberTable _table = new(new ManualTimeProvider(), TimeSpan.FromSeconds(10));

    public BackendSelectorTests() =>
        _table.Apply([.. Enumerable.Range(1, 3).Select(i => new MemberDocument { Name = $"web-{i}", Address = "127.0.0.1", Port = i })]);

    [Fact]
    public void Select_LeastConnections_PicksIdlestMember()
    {
        var pool = _table.Current;
        pool.Active[0].Enter();
        pool.Active[2].Enter();
        var selector = BackendSelectors.Create(BalancingAlgorithm.LeastConnections);

        var picked = Enumerable.Range(0, 6).Select(_ => selector.Select(pool, new DefaultHttpContext()).Name).Distinct();

        Assert.Equal(["web-2"], picked);
    }

    [Fact]
    public void Select_SourceHash_SameClientSameMember()
    {
        var selector = BackendSelectors.Create(BalancingAlgorithm.SourceHash);
        var picks = new HashSet<string>();
        for (var client = 1; client <= 50; client++)
        {
            var address = IPAddress.Parse($"10.0.0.{client}");
            var first = selector.Select(_table.Current, Context(address)).Name;
            Assert.Equal(first, selector.Select(_table.Current, Context(address)).Name);
            picks.Add(first);
        }

        Assert.Equal(3, picks.Count);
    }

    private static DefaultHttpContext Context(IPAddress address)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = address;
        return context;
    }
}
