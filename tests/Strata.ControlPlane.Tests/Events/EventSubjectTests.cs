using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.Planning.State;

namespace Strata.ControlPlane.Tests.Events;

[Trait("kind", "unit")]
public sealed class EventSubjectTests
{
    [Fact]
    public void PhaseOf_EveryServerState_IsThePhaseOfTheSameName()
    {
        var pairs = Enum.GetValues<ServerStatus>().Select(s => (s.ToString(), EventSubject.PhaseOf(s)?.ToString())).ToList();

        Assert.All(pairs, p => Assert.Equal(p.Item1, p.Item2));
        Assert.Equal(Enum.GetNames<ServerPhase>().Order(), Enum.GetNames<ServerStatus>().Order());
        Assert.Null(EventSubject.PhaseOf(null));
    }

    [Fact]
    public void OfServer_StateChange_CarriesBothStatesAsPhases()
    {
        var subject = EventSubject.OfServer("web", "shop-web-k3x9a1", ServerStatus.Booting, ServerStatus.InService);

        Assert.Equal("tiers.web.servers[shop-web-k3x9a1]", subject.Resource);
        Assert.Equal(ServerPhase.Booting, subject.FromState);
        Assert.Equal(ServerPhase.InService, subject.ToState);
    }
}
