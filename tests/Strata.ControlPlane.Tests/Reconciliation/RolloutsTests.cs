using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Tests.Reconciliation;

[Trait("kind", "unit")]
public sealed class RolloutsTests
{
    private static readonly DateTimeOffset s_start = DateTimeOffset.UnixEpoch;

    [Theory]
    [InlineData("tier db: db-2 of the new launch is failed: no answer", "rolled back tier db: db-2 of the new launch is failed: no answer")]
    [InlineData("tier web: web-1 of the new launch is unhealthy", "rolled back tier db: tier web: web-1 of the new launch is unhealthy")]
    public void Step_RollbackAtFullStrength_EndsSayingWhyNamingTheTierOnce(string reason, string message)
    {
        var rollout = new RolloutState
        {
            FromImageDigest = "new", FromLaunchDigest = "l", ToImageDigest = "old", ToLaunchDigest = "l",
            Phase = RolloutPhase.RollingBack, StartedAt = s_start, Reason = reason,
        };
        var tier = new TierState
        {
            LogicalName = "db", ImageDigest = "old", LaunchDigest = "l", SettingsDigest = "s", Count = new TierCount(1, 1, 1), Rollout = rollout,
            Servers = [new ServerState { Name = "db-3", Tier = "db", Zone = "local-a", State = ServerStatus.InService, ImageDigest = "old", LaunchDigest = "l", LaunchedAt = s_start }],
        };

        var step = Rollouts.Step(rollout, tier, new TierTarget("old", "l", 1, new UpdatePolicySpec()), s_start.AddMinutes(1));

        Assert.Null(step.Next);
        Assert.Equal(message, step.Event);
    }
}
