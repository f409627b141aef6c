using Strata.ControlPlane.Hosts;
using Strata.Providers;
using Strata.Providers.Hosts.Placement;

namespace Strata.ControlPlane.Tests.Hosts;

[Trait("kind", "unit")]
public sealed class HostServerListingsTests
{
    private readonly object _agent = new();

    [Fact]
    public void Apply_ListingAskedBeforeALaunchAnsweredAfterIt_KeepsTheLaunchedServer()
    {
        var listings = new HostServerListings();
        listings.Apply("h1", _agent, [Server("web-1")], listings.Asking());

        var asked = listings.Asking();
        listings.Launched("h1", Server("web-2"));
        listings.Apply("h1", _agent, [Server("web-1")], asked);

        Assert.Equal(["web-1", "web-2"], Ids("h1", listings));
    }

    [Fact]
    public void Apply_ListingAskedBeforeATerminationAnsweredAfterIt_DoesNotBringTheServerBack()
    {
        var listings = new HostServerListings();
        listings.Apply("h1", _agent, [Server("web-1"), Server("web-2")], listings.Asking());

        var asked = listings.Asking();
        listings.Removed("h1", "web-2");
        listings.Apply("h1", _agent, [Server("web-1"), Server("web-2")], asked);

        Assert.Equal(["web-1"], Ids("h1", listings));
    }

    [Fact]
    public void Apply_ListingAskedAfterALaunch_IsTakenAsTheAgentSeesIt()
    {
        var listings = new HostServerListings();
        listings.Apply("h1", _agent, [], listings.Asking());
        listings.Launched("h1", Server("web-1"));

        // The server exited since: the agent's word stands, and the launch is no longer applied to later listings.
        listings.Apply("h1", _agent, [Server("web-1", ServerInstanceState.Failed)], listings.Asking());
        Assert.Equal(ServerInstanceState.Failed, listings.Hosts["h1"].Servers["web-1"].State);

        listings.Apply("h1", _agent, [], listings.Asking());
        Assert.Empty(Ids("h1", listings));
    }

    [Fact]
    public void Apply_OlderListingAnsweredAfterANewerOne_IsIgnoredAndANewConnectionsListingStands()
    {
        var listings = new HostServerListings();
        var older = listings.Asking();
        listings.Launched("h1", Server("web-1"));
        var newer = listings.Asking();
        listings.Apply("h1", _agent, [Server("web-1")], newer);

        listings.Apply("h1", _agent, [], older);
        Assert.Equal(["web-1"], Ids("h1", listings));

        // The agent reconnected: what its new connection lists is what the host runs.
        var reconnected = new object();
        listings.Apply("h1", reconnected, [Server("web-9")], listings.Asking());
        Assert.Equal(["web-9"], Ids("h1", listings));
        Assert.Same(reconnected, listings.Hosts["h1"].Agent);
    }

    [Fact]
    public void Apply_OldConnectionsListingAnsweredAfterTheNewOnes_IsIgnored()
    {
        var listings = new HostServerListings();
        var old = new object();
        var askedOld = listings.Asking();
        listings.Launched("h1", Server("web-1"));
        var reconnected = new object();
        listings.Apply("h1", reconnected, [Server("web-1")], listings.Asking());

        listings.Apply("h1", old, [], askedOld);

        Assert.Equal(["web-1"], Ids("h1", listings));
        Assert.Same(reconnected, listings.Hosts["h1"].Agent);
    }

    [Fact]
    public void Apply_ListingShowsTheEarlierRunOfAServerLaunchedAgain_KeepsTheNewRun()
    {
        var listings = new HostServerListings();
        listings.Apply("h1", _agent, [Server("web-1", ServerInstanceState.Failed)], listings.Asking());

        var asked = listings.Asking();
        var again = Server("web-1") with { LaunchedAt = DateTimeOffset.UnixEpoch.AddMinutes(5) };
        listings.Launched("h1", again);
        listings.Apply("h1", _agent, [Server("web-1", ServerInstanceState.Failed)], asked);

        Assert.Equal(ServerInstanceState.Running, listings.Hosts["h1"].Servers["web-1"].State);
    }

    [Fact]
    public void Apply_ListingAnsweredWhileTheLaunchWentOn_KeepsTheLaunchedServer()
    {
        var listings = new HostServerListings();
        listings.Apply("h1", _agent, [], listings.Asking());

        // Asked while the agent was starting the server: it lists it pending, with this run's launch time.
        var asked = listings.Asking();
        listings.Launched("h1", Server("web-1"));
        listings.Apply("h1", _agent, [Server("web-1", ServerInstanceState.Pending)], asked);
        var afterPending = listings.Hosts["h1"].Servers["web-1"].State;
        asked = listings.Asking();
        listings.Launched("h1", Server("web-2"));
        listings.Apply("h1", _agent, [Server("web-1"), Server("web-2", ServerInstanceState.Configuring)], asked);

        Assert.Equal(ServerInstanceState.Running, afterPending);
        Assert.Equal(ServerInstanceState.Running, listings.Hosts["h1"].Servers["web-2"].State);
    }

    [Fact]
    public void Apply_ListingAskedBeforeALaunchShowsThatRunExitedSince_TakesTheAgentsWord()
    {
        var listings = new HostServerListings();
        listings.Apply("h1", _agent, [], listings.Asking());

        var asked = listings.Asking();
        listings.Launched("h1", Server("web-1"));
        listings.Apply("h1", _agent, [Server("web-1", ServerInstanceState.Failed)], asked);

        Assert.Equal(ServerInstanceState.Failed, listings.Hosts["h1"].Servers["web-1"].State);
    }

    [Fact]
    public void Apply_ListingShowsThisRunRunningWhileTheLaunchAnsweredItExited_KeepsTheLaunchsAnswer()
    {
        var listings = new HostServerListings();
        listings.Apply("h1", _agent, [], listings.Asking());

        // Listed in the moment it ran, before it exited at once (its port taken): the launch's answer is the later word.
        var asked = listings.Asking();
        listings.Launched("h1", Server("web-1", ServerInstanceState.Failed));
        listings.Apply("h1", _agent, [Server("web-1")], asked);

        Assert.Equal(ServerInstanceState.Failed, listings.Hosts["h1"].Servers["web-1"].State);
    }

    [Fact]
    public void Launched_OnAHostNeverListed_IsAppliedToItsFirstListing()
    {
        var listings = new HostServerListings();
        var asked = listings.Asking();
        listings.Launched("h2", Server("web-3"));

        Assert.False(listings.Hosts.ContainsKey("h2"));
        listings.Apply("h2", _agent, [], asked);
        Assert.Equal(["web-3"], Ids("h2", listings));
    }

    [Fact]
    public void Forget_DropsTheHostAndItsPendingChanges()
    {
        var listings = new HostServerListings();
        var asked = listings.Asking();
        listings.Apply("h1", _agent, [Server("web-1")], asked);
        listings.Launched("h1", Server("web-2"));

        listings.Forget("h1");
        Assert.False(listings.Hosts.ContainsKey("h1"));
        listings.Apply("h1", _agent, [], asked);
        Assert.Empty(Ids("h1", listings));
    }

    [Fact]
    public void Launched_OnAHostNotListedYet_KeepsItsHoldUntilAListingShowsIt()
    {
        var listings = new HostServerListings();
        listings.Hold(new PlacedServer("web-1", "h1", "d", "web", [8080]));

        // The host's listing timed out before the launch: without its hold the server would be nowhere, its port free.
        listings.Launched("h1", Server("web-1"));
        Assert.Equal("h1", listings.Now.Held["web-1"].Host);

        listings.Apply("h1", _agent, [Server("web-1")], listings.Asking());
        Assert.Empty(listings.Now.Held);
        Assert.Equal(["web-1"], Ids("h1", listings));
    }

    [Fact]
    public void Removed_OnAHostNotListedYet_DropsTheHoldItsLaunchLeft()
    {
        var listings = new HostServerListings();
        listings.Hold(new PlacedServer("web-1", "h1", "d", "web", [8080]));
        listings.Launched("h1", Server("web-1"));

        listings.Removed("h1", "web-1");

        Assert.Empty(listings.Now.Held);
    }

    [Fact]
    public void Launched_ListsTheServerAndDropsItsHold()
    {
        var listings = new HostServerListings();
        listings.Apply("h1", _agent, [], listings.Asking());
        listings.Hold(new PlacedServer("web-1", "h1", "d", "web", [8080]));
        var before = listings.Now;

        listings.Launched("h1", Server("web-1"));
        var after = listings.Now;

        // Each snapshot shows the server in one place: held while its launch goes on, listed once it answered.
        Assert.True(before.Held.ContainsKey("web-1"));
        Assert.False(before.Hosts["h1"].Servers.ContainsKey("web-1"));
        Assert.False(after.Held.ContainsKey("web-1"));
        Assert.True(after.Hosts["h1"].Servers.ContainsKey("web-1"));
    }

    [Fact]
    public void Release_DropsTheHoldOfALaunchThatThrew()
    {
        var listings = new HostServerListings();
        listings.Hold(new PlacedServer("web-1", "h1", "d", "web", [8080]));

        listings.Release("web-1");

        Assert.Empty(listings.Now.Held);
    }

    private static List<string> Ids(string host, HostServerListings listings) =>
        [.. listings.Hosts[host].Servers.Keys.Order(StringComparer.Ordinal)];

    private static ServerInstance Server(string id, ServerInstanceState state = ServerInstanceState.Running) => new()
    {
        Id = id, Name = id, Deployment = "shop", Tier = "web", Zone = "a", Address = "127.61.0.1", ImageId = "sha256:test",
        State = state, LaunchedAt = DateTimeOffset.UnixEpoch, RootPath = "/srv", LogPath = "/srv/log", ConfigPath = "/srv/config.json",
    };
}
