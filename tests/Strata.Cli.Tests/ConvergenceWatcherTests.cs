using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.Cli.Commands;

namespace Strata.Cli.Tests;

[Trait("kind", "unit")]
public sealed class ConvergenceWatcherTests
{
    [Theory]
    [InlineData(0, 40)]
    [InlineData(10, 40)]
    [InlineData(80, 40)]
    [InlineData(200, 100)]
    [InlineData(1000, 500)]
    [InlineData(5000, 1000)]
    public void MinLook_GrowsWithTheServersALookLists_From40MsToASecond(int servers, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ConvergenceWatcher.MinLook(servers));
    }

    [Theory]
    [InlineData(0, 200)]
    [InlineData(10, 200)]
    [InlineData(200, 1000)]
    [InlineData(400, 2000)]
    [InlineData(5000, 2000)]
    public void RoutineLook_GrowsWithTheServersALookLists_From200MsToTwoSeconds(int servers, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ConvergenceWatcher.RoutineLook(servers));
    }

    [Theory]
    [InlineData(EventKinds.DeploymentPhase, true)]
    [InlineData(EventKinds.DeploymentDeleted, true)]
    [InlineData(EventKinds.DeploymentRollback, true)]
    [InlineData(EventKinds.ServerFailed, true)]
    [InlineData(EventKinds.ServerState, false)]
    [InlineData(EventKinds.LoadBalancerMembers, false)]
    public void CallsForLook_EventsThatCanEndTheWait(string kind, bool callsForLook)
    {
        var e = new DeploymentEvent { Deployment = "shop", Time = DateTimeOffset.UnixEpoch, Kind = kind, Message = "" };

        Assert.Equal(callsForLook, ConvergenceWatcher.CallsForLook(e));
    }

    [Fact]
    public void Counts_TellsHowManyServersAreInEachStateInTheOrderTheyGoThroughThem()
    {
        ServerDto[] servers =
        [
            Server("inService"), Server("booting"), Server("inService"), Server("failed"), Server("pending"), Server("someNewState"),
        ];

        Assert.Equal("1 pending, 1 booting, 2 inService, 1 failed, 1 someNewState", ConvergenceWatcher.Counts(servers));
    }

    [Fact]
    public void Report_TierOfMoreThanTenServers_OneLineOfCountsPerChangeTheFailedByNameAndCountsToTheEnd()
    {
        var error = new StringWriter();
        using var home = new Strata.Testing.TemporaryDirectory();
        var watcher = new ConvergenceWatcher(new CliContext(new Strata.ControlPlane.Hosting.StrataPaths(home.Path), new StringWriter(), error), client: null!);
        var servers = Enumerable.Range(1, 11).Select(i => Server("booting", $"web-{i}")).ToList();

        watcher.Report(Status(servers));
        watcher.Report(Status(servers));
        servers[0] = servers[0] with { State = "failed" };
        watcher.Report(Status(servers));
        watcher.Report(Status(servers.Take(3).ToList()));
        watcher.Report(Status([]));

        Assert.Equal(
        [
            "  web          11 servers                       11 booting",
            "  web          11 servers                       10 booting, 1 failed",
            "  web          web-1                            failed",
            "  web          3 servers                        2 booting, 1 failed",
            "  web          web-1                            terminated",
            "  web          0 servers                        all terminated",
        ], error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    private static DeploymentStatusDto Status(IReadOnlyList<ServerDto> servers) => new()
    {
        Name = "shop", Phase = DeploymentPhase.Converging, Serial = 1, Tiers = [], Servers = servers, LoadBalancers = [],
        Outputs = new Dictionary<string, string>(),
    };

    private static ServerDto Server(string state, string? name = null) => new()
    {
        Name = name ?? $"web-{Guid.NewGuid():N}", Tier = "web", Zone = "local-a", State = state, Image = "sha256:1", LaunchedAt = DateTimeOffset.UnixEpoch,
    };
}
