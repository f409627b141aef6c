using Strata.Api.Contracts.Events;
using Strata.Cli.Commands;

namespace Strata.Cli.Tests;

[Trait("kind", "unit")]
public sealed class LaunchProgressTests
{
    [Fact]
    public void Observe_InServiceWithRewordedMessage_ResetsFailures()
    {
        var progress = new LaunchProgress();
        progress.Observe(Failed("web-1"));
        progress.Observe(Failed("web-2"));

        progress.Observe(State("web-3", ServerPhase.Booting, ServerPhase.InService, "web-3 passed its health check and takes traffic"));
        progress.Observe(Failed("web-4"));

        Assert.Equal(1, progress.Failures);
    }

    [Fact]
    public void Observe_MessageSayingInServiceForAnotherState_KeepsFailures()
    {
        var progress = new LaunchProgress();
        progress.Observe(Failed("web-1"));

        var line = progress.Observe(State("web-2", ServerPhase.InService, ServerPhase.Unhealthy, "web-2 was last seen: is in service"));

        Assert.Equal(1, progress.Failures);
        Assert.Null(line);
    }

    [Fact]
    public void Observe_FailedServerOrLoadBalancer_CountsAndShowsTheMessage()
    {
        var progress = new LaunchProgress();

        var server = progress.Observe(Failed("web-1"));
        var loadBalancer = progress.Observe(Event(EventKinds.LoadBalancerFailed, "haproxy did not start"));

        Assert.Equal(2, progress.Failures);
        Assert.Equal("  ! web-1 failed: exited 1", server);
        Assert.Equal("  ! haproxy did not start", loadBalancer);
    }

    [Fact]
    public void Observe_RollbackThatStarted_IsRolledBackWithItsReason()
    {
        var progress = new LaunchProgress();

        progress.Observe(Event(EventKinds.DeploymentRollback, "going back: tier web failed its checks") with { Rollback = RollbackResult.RolledBack });

        Assert.Equal("going back: tier web failed its checks", progress.RolledBack);
    }

    [Fact]
    public void Observe_RollbackWithoutPreviousApply_IsShownButNotRolledBack()
    {
        var progress = new LaunchProgress();

        var line = progress.Observe(Event(EventKinds.DeploymentRollback, "rolling back is impossible here") with { Rollback = RollbackResult.NoPreviousApply });

        Assert.Null(progress.RolledBack);
        Assert.Equal("  ! rolling back is impossible here", line);
    }

    private static DeploymentEvent Failed(string server) =>
        Event(EventKinds.ServerFailed, $"{server} failed: exited 1") with { Tier = "web", Server = server, ToState = ServerPhase.Failed };

    private static DeploymentEvent State(string server, ServerPhase from, ServerPhase to, string message) =>
        Event(EventKinds.ServerState, message) with { Tier = "web", Server = server, FromState = from, ToState = to };

    private static DeploymentEvent Event(string kind, string message) => new()
    {
        Deployment = "shop",
        Time = DateTimeOffset.UnixEpoch,
        Kind = kind,
        Message = message,
    };
}
