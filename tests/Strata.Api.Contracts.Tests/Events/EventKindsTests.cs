using System.Reflection;
using Strata.Api.Contracts.Events;

namespace Strata.Api.Contracts.Tests.Events;

/// <summary>Event kinds are stored and served as strings that readers match on: each must keep its released value.</summary>
[Trait("kind", "unit")]
public sealed class EventKindsTests
{
    private static readonly Dictionary<string, string> s_released = new()
    {
        [nameof(EventKinds.ServerState)] = "server.state",
        [nameof(EventKinds.ServerFailed)] = "server.failed",
        [nameof(EventKinds.ServerReplaced)] = "server.replaced",
        [nameof(EventKinds.ServerError)] = "server.error",
        [nameof(EventKinds.ServerFenced)] = "server.fenced",
        [nameof(EventKinds.ServerStop)] = "server.stop",
        [nameof(EventKinds.ServerOrphan)] = "server.orphan",
        [nameof(EventKinds.HostDrain)] = "host.drain",
        [nameof(EventKinds.HostRemoved)] = "host.removed",
        [nameof(EventKinds.ServerLiveness)] = "server.liveness",
        [nameof(EventKinds.TierRollout)] = "tier.rollout",
        [nameof(EventKinds.TierCrashLoop)] = "tier.crashloop",
        [nameof(EventKinds.TierWaiting)] = "tier.waiting",
        [nameof(EventKinds.TierNoCapacity)] = "tier.no-capacity",
        [nameof(EventKinds.TierCapacityResolved)] = "tier.capacity-resolved",
        [nameof(EventKinds.TierUpdateInPlace)] = "tier.update-in-place",
        [nameof(EventKinds.TierOverloaded)] = "tier.overloaded",
        [nameof(EventKinds.TierScaling)] = "tier.scaling",
        [nameof(EventKinds.DeploymentRollback)] = "deployment.rollback",
        [nameof(EventKinds.DeploymentError)] = "deployment.error",
        [nameof(EventKinds.DeploymentDeleted)] = "deployment.deleted",
        [nameof(EventKinds.DeploymentPhase)] = "deployment.phase",
        [nameof(EventKinds.LoadBalancerMembers)] = "loadbalancer.members",
        [nameof(EventKinds.LoadBalancerStopped)] = "loadbalancer.stopped",
        [nameof(EventKinds.LoadBalancerFailed)] = "loadbalancer.failed",
        [nameof(EventKinds.LoadBalancerCheck)] = "loadbalancer.check",
        [nameof(EventKinds.LoadBalancerPlaced)] = "loadbalancer.placed",
        [nameof(EventKinds.LoadBalancerFenced)] = "loadbalancer.fenced",
        [nameof(EventKinds.ImageBaked)] = "image.baked",
        [nameof(EventKinds.VolumeSnapshot)] = "volume.snapshot",
        [nameof(EventKinds.VolumeRecovered)] = "volume.recovered",
        [nameof(EventKinds.VolumeMoved)] = "volume.moved",
        [nameof(EventKinds.BackupCompleted)] = "backup.completed",
        [nameof(EventKinds.BackupFailed)] = "backup.failed",
        [nameof(EventKinds.BackupRestored)] = "backup.restored",
        [nameof(EventKinds.BackupRestoreFailed)] = "backup.restore-failed",
        [nameof(EventKinds.BackupPruned)] = "backup.pruned",
        [nameof(EventKinds.BackupReplicated)] = "backup.replicated",
        [nameof(EventKinds.BackupReplicationFailed)] = "backup.replication-failed",
        [nameof(EventKinds.BackupStoreUnavailable)] = "backup.store-unavailable",
        [nameof(EventKinds.BackupDrillPassed)] = "backup.drill-passed",
        [nameof(EventKinds.BackupDrillFailed)] = "backup.drill-failed",
        [nameof(EventKinds.RegionDrillPassed)] = "region.drill-passed",
        [nameof(EventKinds.RegionDrillFailed)] = "region.drill-failed",
    };

    [Fact]
    public void EveryKind_KeepsItsReleasedString()
    {
        var kinds = typeof(EventKinds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

        Assert.Equal(s_released.OrderBy(k => k.Key), kinds.OrderBy(k => k.Key));
    }
}
