using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.Planning.Tests;

/// <summary>The <c>With*</c> helpers every writer of the state changes it through.</summary>
[Trait("kind", "unit")]
public sealed class DeploymentStateTests
{
    private static readonly DateTimeOffset s_launched = DateTimeOffset.UnixEpoch;
    private static readonly DateTimeOffset s_now = s_launched.AddMinutes(5);

    [Fact]
    public void WithServer_StateChanged_StampsWhenItEnteredIt()
    {
        var state = Deployment(Server("shop-web-a", ServerStatus.Booting), Server("shop-web-b", ServerStatus.Booting));

        var next = state.WithServer(Server("shop-web-a", ServerStatus.InService), s_now);

        Assert.Equal(s_now, next.FindServer("web", "shop-web-a")!.StateSince);
        Assert.Equal(ServerStatus.InService, next.FindServer("web", "shop-web-a")!.State);
        Assert.Same(state.FindServer("web", "shop-web-b"), next.FindServer("web", "shop-web-b"));
    }

    [Fact]
    public void WithServer_SameState_KeepsTheStampItCarries()
    {
        var state = Deployment(Server("shop-web-a", ServerStatus.InService) with { StateSince = s_launched });

        var next = state.WithServer(state.FindServer("web", "shop-web-a")! with { Message = "probed" }, s_now);

        Assert.Equal(s_launched, next.FindServer("web", "shop-web-a")!.StateSince);
        Assert.Equal("probed", next.FindServer("web", "shop-web-a")!.Message);
    }

    [Fact]
    public void WithServer_ServerNoLongerRecorded_ReturnsTheSameState()
    {
        var state = Deployment(Server("shop-web-a", ServerStatus.InService)).WithoutServer("shop-web-a");

        Assert.Same(state, state.WithServer(Server("shop-web-a", ServerStatus.Failed), s_now));
    }

    [Fact]
    public void WithVolumesDetachedFrom_ServerHoldsVolumes_OnlyItsVolumesAreFreed()
    {
        var state = Deployment() with { Volumes = [Volume("shop-db-pg-a", "shop-db-a"), Volume("shop-db-pg-b", "shop-db-b")] };

        var next = state.WithVolumesDetachedFrom("shop-db-a", s_now);

        Assert.Equal([null, "shop-db-b"], next.Volumes.Select(v => v.Server));
        Assert.Equal([s_now, null], next.Volumes.Select(v => v.ReleasedAt));
        Assert.Same(next, next.WithVolumesDetachedFrom("shop-db-a", s_now.AddMinutes(1)));
    }

    private static DeploymentState Deployment(params ServerState[] servers) => DeploymentState.Empty("shop") with
    {
        Tiers =
        [
            new TierState
            {
                LogicalName = "web", ImageDigest = "sha256:a", LaunchDigest = "sha256:b", SettingsDigest = "sha256:c",
                Count = new TierCount(1, 4, servers.Length), Servers = servers,
            },
        ],
    };

    private static ServerState Server(string name, ServerStatus state) => new()
    {
        Name = name, Tier = "web", Zone = "local-a", State = state, ImageDigest = "sha256:a", LaunchDigest = "sha256:b", LaunchedAt = s_launched,
    };

    private static VolumeState Volume(string name, string server) =>
        new() { Name = name, Tier = "db", LogicalName = "pg", Server = server, DeletionPolicy = DeletionPolicy.Retain };
}
