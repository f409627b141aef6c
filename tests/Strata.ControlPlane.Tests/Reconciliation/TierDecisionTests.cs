using Strata.ControlPlane.Reconciliation;
using Strata.Planning.Images;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Tests.Reconciliation;

[Trait("kind", "unit")]
public sealed class TierDecisionTests
{
    private const string NewImage = "sha256:new-image";
    private const string OldImage = "sha256:old-image";
    private const string Launch = "sha256:launch";

    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Decide_FewerServersThanDesired_LaunchesTheMissingCount()
    {
        var servers = new[] { Server("web-a", ServerStatus.InService, minute: 0) };

        var actions = TierDecision.Decide(Target(desired: 3), servers, launchAllowed: true);

        Assert.Equal(2, actions.Launch);
        Assert.Empty(actions.Terminate);
        Assert.Null(actions.Waiting);
    }

    [Fact]
    public void Decide_AsManyServersAsDesired_DoesNothing()
    {
        var servers = new[] { Server("web-a", ServerStatus.InService, 0), Server("web-b", ServerStatus.Booting, 1) };

        var actions = TierDecision.Decide(Target(desired: 2), servers, launchAllowed: true);

        Assert.Equal(0, actions.Launch);
        Assert.Empty(actions.Terminate);
        Assert.Null(actions.Waiting);
    }

    [Fact]
    public void Decide_MoreServersThanDesired_TerminatesUnhealthyThenNotInServiceThenOldest()
    {
        var servers = new[]
        {
            Server("web-oldest", ServerStatus.InService, minute: 0),
            Server("web-newest", ServerStatus.InService, minute: 9),
            Server("web-booting", ServerStatus.Booting, minute: 5),
            Server("web-unhealthy", ServerStatus.Unhealthy, minute: 8),
            Server("web-middle", ServerStatus.InService, minute: 3),
        };

        var toTwo = TierDecision.Decide(Target(desired: 2), servers, launchAllowed: true);
        var toOne = TierDecision.Decide(Target(desired: 1), servers, launchAllowed: true);

        Assert.Equal(["web-unhealthy", "web-booting", "web-oldest"], toTwo.Terminate.Select(t => t.Server));
        Assert.Equal(["web-unhealthy", "web-booting", "web-oldest", "web-middle"], toOne.Terminate.Select(t => t.Server));
        Assert.StartsWith("replacing an unhealthy server", toOne.Terminate[0].Reason, StringComparison.Ordinal);
        Assert.All(toOne.Terminate.Skip(1), t => Assert.Equal("scaling in to 1", t.Reason));
        Assert.Equal(0, toOne.Launch);
    }

    [Fact]
    public void Decide_UnhealthyWithinRecoveryDelay_IsKeptAndNotReplaced()
    {
        var now = DateTimeOffset.Parse("2026-01-01T00:10:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var servers = new[]
        {
            Server("web-a", ServerStatus.InService, minute: 0),
            Server("web-b", ServerStatus.Unhealthy, minute: 1) with { StateSince = now.AddSeconds(-5) },
        };
        var target = Target(desired: 2) with { RecoveryDelay = TimeSpan.FromSeconds(30) };

        var early = TierDecision.Decide(target, servers, launchAllowed: true, now);
        var late = TierDecision.Decide(target, servers, launchAllowed: true, now.AddSeconds(30));

        Assert.Empty(early.Terminate);
        Assert.Equal(0, early.Launch);
        Assert.Equal(["web-b"], late.Terminate.Select(t => t.Server));
        Assert.Equal(1, late.Launch);
    }

    [Fact]
    public void Decide_ServerOlderThanMaxAge_IsReplacedOneAtATimeWithSurge()
    {
        var now = DateTimeOffset.Parse("2026-01-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var servers = new[]
        {
            Server("web-old", ServerStatus.InService, minute: 0) with { LaunchedAt = now.AddHours(-3) },
            Server("web-older", ServerStatus.InService, minute: 0) with { LaunchedAt = now.AddHours(-4) },
            Server("web-young", ServerStatus.InService, minute: 0) with { LaunchedAt = now.AddMinutes(-5) },
        };
        var target = Target(desired: 3) with { MaxAge = TimeSpan.FromHours(2) };

        var first = TierDecision.Decide(target, servers, launchAllowed: true, now);
        Assert.Equal(1, first.Launch);
        Assert.Empty(first.Terminate);

        var replacement = Server("web-new", ServerStatus.InService, minute: 0) with { LaunchedAt = now };
        var second = TierDecision.Decide(target, [.. servers, replacement], launchAllowed: true, now);
        Assert.Equal(["web-older"], second.Terminate.Select(t => t.Server));
        Assert.Contains("maxAge", second.Terminate[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_ServersOnADrainingHost_AreReplacedWithSurgeAndLeaveOnlyOnceTheirReplacementsServe()
    {
        var servers = new[]
        {
            Server("web-a", ServerStatus.InService, minute: 0),
            Server("web-b", ServerStatus.InService, minute: 1),
            Server("web-c", ServerStatus.InService, minute: 2),
        };
        var target = Target(desired: 3) with { Moving = new Dictionary<string, string> { ["web-b"] = "host h2 is draining" } };

        var start = TierDecision.Decide(target, servers, launchAllowed: true);
        var booting = TierDecision.Decide(target, [.. servers, Server("web-new", ServerStatus.Booting, minute: 3)], launchAllowed: true);
        var serving = TierDecision.Decide(target, [.. servers, Server("web-new", ServerStatus.InService, minute: 3)], launchAllowed: true);
        var blocked = TierDecision.Decide(target, servers, launchAllowed: false);

        Assert.Equal((1, 0), (start.Launch, start.Terminate.Count));
        Assert.Equal((0, 0), (booting.Launch, booting.Terminate.Count));
        Assert.Equal(("web-b", 0), (Assert.Single(serving.Terminate).Server, serving.Launch));
        Assert.Equal("moved elsewhere (host h2 is draining); its replacement serves", serving.Terminate[0].Reason);
        Assert.Equal(TerminationCause.Replacement, serving.Terminate[0].Cause);
        Assert.Empty(blocked.Terminate);
    }

    [Fact]
    public void Decide_DeadServerWithinRecoveryDelay_HoldsItsPlace()
    {
        var now = DateTimeOffset.Parse("2026-01-01T00:10:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var servers = new[]
        {
            Server("web-a", ServerStatus.InService, minute: 0),
            Server("web-dead", ServerStatus.Failed, minute: 1) with { StateSince = now.AddSeconds(-10) },
        };
        var target = Target(desired: 2) with { RecoveryDelay = TimeSpan.FromSeconds(20) };

        Assert.Equal(0, TierDecision.Decide(target, servers, launchAllowed: true, now).Launch);
        Assert.Equal(1, TierDecision.Decide(target, servers, launchAllowed: true, now.AddSeconds(10)).Launch);
    }

    [Fact]
    public void Decide_PendingAndConfiguringServers_GoBeforeInServiceOnes()
    {
        var servers = new[]
        {
            Server("web-serving", ServerStatus.InService, minute: 9),
            Server("web-pending", ServerStatus.Pending, minute: 0),
            Server("web-configuring", ServerStatus.Configuring, minute: 1),
        };

        var actions = TierDecision.Decide(Target(desired: 1), servers, launchAllowed: true);

        Assert.Equal(["web-pending", "web-configuring"], actions.Terminate.Select(t => t.Server));
    }

    [Fact]
    public void Decide_FailedServer_IsNotCountedAndIsReplaced()
    {
        var servers = new[]
        {
            Server("web-a", ServerStatus.InService, 0),
            Server("web-failed", ServerStatus.Failed, 1),
            Server("web-gone", ServerStatus.Terminated, 2),
            Server("web-going", ServerStatus.Terminating, 3),
        };

        var actions = TierDecision.Decide(Target(desired: 2), servers, launchAllowed: true);

        Assert.Equal(1, actions.Launch);
        Assert.Empty(actions.Terminate);
    }

    [Fact]
    public void Decide_LaunchNotAllowed_LaunchesNothingAndWaits()
    {
        var servers = new[] { Server("web-failed", ServerStatus.Failed, 0) };

        var actions = TierDecision.Decide(Target(desired: 2), servers, launchAllowed: false);

        Assert.Equal(0, actions.Launch);
        Assert.Equal("waiting before launching again after failures", actions.Waiting);
    }

    [Fact]
    public void Decide_LaunchNotAllowedButNothingMissing_DoesNotWait()
    {
        var servers = new[] { Server("web-a", ServerStatus.InService, 0) };

        var actions = TierDecision.Decide(Target(desired: 1), servers, launchAllowed: false);

        Assert.Equal(0, actions.Launch);
        Assert.Null(actions.Waiting);
    }

    [Fact]
    public void Decide_LaunchNotAllowed_StillScalesIn()
    {
        var servers = new[] { Server("web-a", ServerStatus.InService, 0), Server("web-b", ServerStatus.InService, 1) };

        var actions = TierDecision.Decide(Target(desired: 1), servers, launchAllowed: false);

        Assert.Equal(["web-a"], actions.Terminate.Select(t => t.Server));
        Assert.Null(actions.Waiting);
    }

    [Fact]
    public void Decide_RollingStartWithSurgeOne_LaunchesOneAboveDesiredAndKeepsOldServers()
    {
        var servers = new[] { Old("web-old1", ServerStatus.InService, 0), Old("web-old2", ServerStatus.InService, 1) };

        var actions = TierDecision.Decide(Target(desired: 2, surge: 1, unavailable: 0), servers, launchAllowed: true);

        Assert.Equal(1, actions.Launch);
        Assert.Empty(actions.Terminate);
    }

    [Fact]
    public void Decide_RollingInPlace_StopsTheOldestOldServerAndLaunchesItsReplacementWithoutSurge()
    {
        var servers = new[] { Old("web-old1", ServerStatus.InService, 0), Old("web-old2", ServerStatus.InService, 1) };

        var actions = TierDecision.Decide(Target(desired: 2, surge: 1, unavailable: 0) with { InPlace = true }, servers, launchAllowed: true);

        Assert.Equal(["web-old1"], actions.Terminate.Select(t => t.Server));
        Assert.Equal(1, actions.Launch);
    }

    [Fact]
    public void Decide_RollingInPlaceWithAServerPinnedWhereItsReplacementCannotStart_StopsOnlyTheOtherAndSaysWhy()
    {
        var servers = new[] { Old("db-old1", ServerStatus.InService, 0), Old("db-old2", ServerStatus.InService, 1) };
        var target = Target(desired: 2, surge: 1, unavailable: 0) with
        {
            InPlace = true,
            Pinned = new Dictionary<string, string> { ["db-old1"] = "its volumes are on host h1, which is unreachable" },
        };

        var actions = TierDecision.Decide(target, servers, launchAllowed: true);

        Assert.Equal(["db-old2"], actions.Terminate.Select(t => t.Server));
        Assert.Equal(1, actions.Launch);
        Assert.Equal("the update does not replace db-old1 (its volumes are on host h1, which is unreachable) until its replacement can start with its volumes", actions.Pinned);
        Assert.Null(TierDecision.Decide(target with { InPlace = false }, servers, launchAllowed: true).Pinned);
    }

    [Fact]
    public void Decide_RollingInPlaceWhileTheReplacementBoots_KeepsTheOtherOldServer()
    {
        var servers = new[] { Old("web-old2", ServerStatus.InService, 1), Server("web-new1", ServerStatus.Booting, 2) };

        var actions = TierDecision.Decide(Target(desired: 2, surge: 1, unavailable: 0) with { InPlace = true }, servers, launchAllowed: true);

        Assert.Empty(actions.Terminate);
        Assert.Equal(0, actions.Launch);
    }

    [Fact]
    public void Decide_RollingInPlaceOnceTheReplacementServes_StopsTheNextOldServer()
    {
        var servers = new[] { Old("web-old2", ServerStatus.InService, 1), Server("web-new1", ServerStatus.InService, 2) };

        var actions = TierDecision.Decide(Target(desired: 2, surge: 1, unavailable: 0) with { InPlace = true }, servers, launchAllowed: true);

        Assert.Equal(["web-old2"], actions.Terminate.Select(t => t.Server));
        Assert.Equal(1, actions.Launch);
    }

    [Fact]
    public void Decide_CanaryInPlaceOnceItHasBaked_KeepsTheOldServerItDoesNotReplaceUntilPromoted()
    {
        var servers = new[] { Old("web-old2", ServerStatus.InService, 1), Server("web-new1", ServerStatus.InService, 2) };

        var actions = TierDecision.Decide(Target(desired: 2, surge: 1, unavailable: 0) with { InPlace = true, MaxNew = 1 }, servers, launchAllowed: true);

        Assert.Empty(actions.Terminate);
        Assert.Equal(0, actions.Launch);
    }

    [Fact]
    public void Decide_InPlaceWithAServerOnADrainingHost_ReplacesTheOthersFirstAndLeavesItWhereItIs()
    {
        var servers = new[] { Old("web-old1", ServerStatus.InService, 0), Old("web-old2", ServerStatus.InService, 1) };
        var target = Target(desired: 2, surge: 1, unavailable: 0) with { InPlace = true, Moving = new Dictionary<string, string> { ["web-old1"] = "host h2 is draining" } };

        var actions = TierDecision.Decide(target, servers, launchAllowed: true);

        Assert.Equal(["web-old2"], actions.Terminate.Select(t => t.Server));
    }

    [Fact]
    public void Decide_ServerKeepingVolumesOnADrainingHost_StopsItSoItsReplacementStartsElsewhereWithThem()
    {
        var servers = new[] { Server("db-a", ServerStatus.InService, 0), Server("db-b", ServerStatus.InService, 1) };
        var target = Target(desired: 2, surge: 0, unavailable: 0) with
        {
            InPlace = true, KeepsVolumes = true, Moving = new Dictionary<string, string> { ["db-b"] = "host h2 is draining" },
        };

        var actions = TierDecision.Decide(target, servers, launchAllowed: true);
        var boots = TierDecision.Decide(target, [servers[0], servers[1] with { State = ServerStatus.Terminating }, Server("db-c", ServerStatus.Booting, 2)], launchAllowed: true);

        Assert.Equal(("db-b", TerminationCause.Replacement), (actions.Terminate.Single().Server, actions.Terminate.Single().Cause));
        Assert.Equal("moved elsewhere (host h2 is draining): it stops first, and its replacement starts on another host with its volumes", actions.Terminate.Single().Reason);
        Assert.Equal(1, actions.Launch);
        Assert.Equal((0, 0), (boots.Terminate.Count, boots.Launch));
    }

    [Fact]
    public void Decide_ServerKeepingVolumesThatNoOtherHostCanTake_StaysAndSaysWhyOnlyWhenAnUpdateWouldReplaceIt()
    {
        var servers = new[] { Old("db-old1", ServerStatus.InService, 0), Server("db-b", ServerStatus.InService, 1) };
        var target = Target(desired: 2, surge: 0, unavailable: 0) with
        {
            InPlace = true, KeepsVolumes = true,
            Pinned = new Dictionary<string, string> { ["db-old1"] = "host h2 is draining, and no other host can take it with its volumes: no capacity" },
        };

        var actions = TierDecision.Decide(target, servers, launchAllowed: true);

        Assert.Empty(actions.Terminate);
        Assert.Equal(0, actions.Launch);
        Assert.Equal("the update does not replace db-old1 (host h2 is draining, and no other host can take it with its volumes: no capacity) until its replacement can start with its volumes", actions.Pinned);
    }

    [Fact]
    public void Decide_RollingWhileNewServerBoots_NeitherLaunchesNorTerminates()
    {
        var servers = new[]
        {
            Old("web-old1", ServerStatus.InService, 0),
            Old("web-old2", ServerStatus.InService, 1),
            Server("web-new1", ServerStatus.Booting, 2),
        };

        var actions = TierDecision.Decide(Target(desired: 2, surge: 1, unavailable: 0), servers, launchAllowed: true);

        Assert.Equal(0, actions.Launch);
        Assert.Empty(actions.Terminate);
    }

    [Fact]
    public void Decide_RollingOnceNewServerServes_TerminatesOldestOldAndLaunchesNext()
    {
        var servers = new[]
        {
            Old("web-old2", ServerStatus.InService, 1),
            Old("web-old1", ServerStatus.InService, 0),
            Server("web-new1", ServerStatus.InService, 2),
        };

        var actions = TierDecision.Decide(Target(desired: 2, surge: 1, unavailable: 0), servers, launchAllowed: true);

        var termination = Assert.Single(actions.Terminate);
        Assert.Equal("web-old1", termination.Server);
        Assert.Equal("replaced by a server with the new image or launch settings", termination.Reason);
        Assert.Equal(1, actions.Launch);
    }

    [Fact]
    public void Decide_RollingLastStep_TerminatesLastOldServerWithoutLaunching()
    {
        var servers = new[]
        {
            Old("web-old2", ServerStatus.InService, 1),
            Server("web-new1", ServerStatus.InService, 2),
            Server("web-new2", ServerStatus.InService, 3),
        };

        var actions = TierDecision.Decide(Target(desired: 2, surge: 1, unavailable: 0), servers, launchAllowed: true);

        Assert.Equal(["web-old2"], actions.Terminate.Select(t => t.Server));
        Assert.Equal(0, actions.Launch);
    }

    [Fact]
    public void Decide_RollingWithOldServerNotServing_TerminatesItAtOnce()
    {
        var servers = new[]
        {
            Old("web-old1", ServerStatus.InService, 0),
            Old("web-old-broken", ServerStatus.Unhealthy, 1),
        };

        var actions = TierDecision.Decide(Target(desired: 2, surge: 1, unavailable: 0), servers, launchAllowed: true);

        Assert.Equal(["web-old-broken"], actions.Terminate.Select(t => t.Server));
        Assert.Equal(2, actions.Launch);
    }

    [Fact]
    public void Decide_LaunchSettingsChanged_TreatsServerAsOutdated()
    {
        var servers = new[] { Server("web-a", ServerStatus.InService, 0) with { LaunchDigest = "sha256:old-launch" } };

        var actions = TierDecision.Decide(Target(desired: 1, surge: 1, unavailable: 0), servers, launchAllowed: true);

        Assert.Equal(1, actions.Launch);
        Assert.Empty(actions.Terminate);
    }

    [Fact]
    public void Decide_SurgeZeroAndUnavailableZero_StillLaunchesOneReplacement()
    {
        var servers = new[] { Old("web-old1", ServerStatus.InService, 0) };

        var actions = TierDecision.Decide(Target(desired: 1, surge: 0, unavailable: 0), servers, launchAllowed: true);

        Assert.Equal(1, actions.Launch);
        Assert.Empty(actions.Terminate);
    }

    [Fact]
    public void Decide_SurgeZeroAndUnavailableOne_TerminatesBeforeLaunching()
    {
        var servers = new[] { Old("db-old", ServerStatus.InService, 0) };

        var actions = TierDecision.Decide(Target(desired: 1, surge: 0, unavailable: 1), servers, launchAllowed: true);

        Assert.Equal(["db-old"], actions.Terminate.Select(t => t.Server));
        Assert.Equal(1, actions.Launch);
    }

    [Fact]
    public void Decide_PercentagePolicy_ResolvesAgainstDesired()
    {
        var servers = Enumerable.Range(0, 4).Select(i => Old($"web-old{i}", ServerStatus.InService, i)).ToArray();
        var target = Target(desired: 4) with
        {
            Update = new UpdatePolicySpec { MaxSurge = new CountOrPercent(50, IsPercent: true), MaxUnavailable = new CountOrPercent(25, IsPercent: true) },
        };

        var actions = TierDecision.Decide(target, servers, launchAllowed: true);

        // 50% of 4 is a surge of 2 and 25% of 4 lets 1 be unavailable: one old server goes, three new ones start.
        Assert.Equal(["web-old0"], actions.Terminate.Select(t => t.Server));
        Assert.Equal(3, actions.Launch);
    }

    [Fact]
    public void Decide_PercentageSurge_RoundsUp()
    {
        var servers = Enumerable.Range(0, 3).Select(i => Old($"web-old{i}", ServerStatus.InService, i)).ToArray();
        var target = Target(desired: 3) with
        {
            Update = new UpdatePolicySpec { MaxSurge = new CountOrPercent(25, IsPercent: true), MaxUnavailable = new CountOrPercent(0, IsPercent: true) },
        };

        var actions = TierDecision.Decide(target, servers, launchAllowed: true);

        Assert.Equal(1, actions.Launch);
        Assert.Empty(actions.Terminate);
    }

    [Fact]
    public void Decide_MoreUnhealthyThanMaxReplacing_ReplacesNoneAndHoldsThemInPlace()
    {
        var servers = Enumerable.Range(0, 10)
            .Select(i => Server($"web-{i}", i < 3 ? ServerStatus.Unhealthy : ServerStatus.InService, minute: i))
            .ToList();

        var actions = TierDecision.Decide(Target(desired: 10) with { MaxReplacing = 2 }, servers, launchAllowed: true, s_start.AddHours(1));

        // Three failing together with a budget of two: an overload, so they stay (out of rotation, still probed).
        Assert.Empty(actions.Terminate);
        Assert.Equal(3, actions.HeldBack);
        Assert.Equal(0, actions.Launch);
    }

    [Fact]
    public void Decide_UnhealthyWithinMaxReplacing_ReplacesTheLongestUnhealthyFirst()
    {
        var servers = Enumerable.Range(0, 10)
            .Select(i => Server($"web-{i}", i < 2 ? ServerStatus.Unhealthy : ServerStatus.InService, minute: i) with { StateSince = s_start.AddMinutes(20 - i) })
            .ToList();

        var actions = TierDecision.Decide(Target(desired: 10) with { MaxReplacing = 2 }, servers, launchAllowed: true, s_start.AddHours(1));

        Assert.Equal(["web-1", "web-0"], actions.Terminate.Select(t => t.Server));
        Assert.Equal(0, actions.HeldBack);
        Assert.Equal(2, actions.Launch);
    }

    [Fact]
    public void Decide_ReplacementsStillComingUp_CountAgainstMaxReplacing()
    {
        var servers = new[]
        {
            Server("web-new", ServerStatus.Booting, minute: 30),
            Server("web-sick", ServerStatus.Unhealthy, minute: 1),
            Server("web-ok", ServerStatus.InService, minute: 2),
        };

        var actions = TierDecision.Decide(Target(desired: 3) with { MaxReplacing = 1 }, servers, launchAllowed: true, s_start.AddHours(1));

        Assert.Empty(actions.Terminate);
        Assert.Equal(1, actions.HeldBack);
    }

    private static TierTarget Target(int desired, int surge = 1, int unavailable = 0) =>
        new(NewImage, Launch, desired, new UpdatePolicySpec
        {
            MaxSurge = new CountOrPercent(surge, IsPercent: false),
            MaxUnavailable = new CountOrPercent(unavailable, IsPercent: false),
        });

    private static ServerState Server(string name, ServerStatus state, int minute) => new()
    {
        Name = name,
        Tier = "web",
        Zone = "local-a",
        Address = $"127.0.10.{minute + 2}",
        State = state,
        ImageDigest = NewImage,
        LaunchDigest = Launch,
        LaunchedAt = s_start.AddMinutes(minute),
    };

    private static ServerState Old(string name, ServerStatus state, int minute) =>
        Server(name, state, minute) with { ImageDigest = OldImage };
}
