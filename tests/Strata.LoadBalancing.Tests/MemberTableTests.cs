using Strata.LoadBalancing.Proxy;
using Strata.LoadBalancing.Proxy.Membership;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class MemberTableTests
{
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(10);
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Apply_MemberLeftOutWhileIdle_RemovedAtNextSweep()
    {
        var table = new MemberTable(_time, s_drainTimeout);
        table.Apply([Doc("web-1", 1), Doc("web-2", 2)]);

        table.Apply([Doc("web-2", 2)]);

        Assert.Equal(["web-2"], table.Current.Active.Select(b => b.Name));
        Assert.Equal("web-1", Assert.Single(table.Current.Draining).Backend.Name);
        Assert.Equal(["web-1"], table.Sweep());
        Assert.Empty(table.Current.Draining);
    }

    [Fact]
    public void Sweep_MemberDrainedWithNothingOpen_IsNotRetired()
    {
        // A request waiting to retry the member holds no slot in its in-flight count; retiring would abort it.
        var table = new MemberTable(_time, s_drainTimeout);
        table.Apply([Doc("web-1", 1)]);
        var leaving = table.Current.Active[0];
        table.Apply([]);

        Assert.Equal(["web-1"], table.Sweep());
        Assert.False(leaving.Retired.IsCancellationRequested);
    }

    [Fact]
    public void Sweep_DrainingMemberWithRequestInFlight_StaysUntilDrainTimeout()
    {
        var table = new MemberTable(_time, s_drainTimeout);
        table.Apply([Doc("web-1", 1)]);
        var busy = table.Current.Active[0];
        busy.Enter();
        table.Apply([]);

        _time.Advance(s_drainTimeout - TimeSpan.FromSeconds(1));
        Assert.Empty(table.Sweep());

        Assert.False(busy.Retired.IsCancellationRequested);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["web-1"], table.Sweep());
        Assert.True(busy.Retired.IsCancellationRequested, "what was still open at the drain timeout is cut");
    }

    [Fact]
    public void Apply_SameMemberAgain_KeepsItsCounters()
    {
        var table = new MemberTable(_time, s_drainTimeout);
        table.Apply([Doc("web-1", 1)]);
        var backend = table.Current.Active[0];
        backend.Enter();

        table.Apply([Doc("web-1", 1), Doc("web-2", 2)]);

        Assert.Same(backend, table.Current.FindActive("web-1"));
        Assert.Equal(1, table.Current.FindActive("web-1")!.InFlight);
        Assert.Equal(2, table.Current.Version);
    }

    [Fact]
    public void Apply_MemberMovedToNewPort_DrainsOldEndpointAndActivatesNew()
    {
        var table = new MemberTable(_time, s_drainTimeout);
        table.Apply([Doc("web-1", 1)]);

        table.Apply([Doc("web-1", 2)]);

        Assert.Equal(2, table.Current.FindActive("web-1")!.Port);
        Assert.Equal(1, Assert.Single(table.Current.Draining).Backend.Port);
    }

    [Fact]
    public void Apply_MemberListedAsDraining_TakesNoNewRequests()
    {
        var table = new MemberTable(_time, s_drainTimeout);
        table.Apply([Doc("web-1", 1), Doc("web-2", 2)]);

        table.Apply([Doc("web-1", 1) with { State = MemberState.Draining }, Doc("web-2", 2)]);

        Assert.Null(table.Current.FindActive("web-1"));
        Assert.Equal(MemberState.Draining, table.Describe().Single(m => m.Name == "web-1").State);
    }

    [Fact]
    public void NextAfter_SingleMember_ReturnsNull()
    {
        var table = new MemberTable(_time, s_drainTimeout);
        table.Apply([Doc("web-1", 1)]);

        Assert.Null(table.Current.NextAfter(table.Current.Active[0]));
    }

    private static MemberDocument Doc(string name, int port) => new() { Name = name, Address = "127.0.0.1", Port = port };
}
