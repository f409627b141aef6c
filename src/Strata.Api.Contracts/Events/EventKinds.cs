namespace Strata.Api.Contracts.Events;

/// <summary>
/// The kinds of <see cref="DeploymentEvent"/>. Each string is stored in the state store and served by the API as it is,
/// so a value never changes once released: readers (the CLI, scripts over <c>strata events --json</c>) match on it.
/// </summary>
public static class EventKinds
{
    /// <summary>A server moved between states; <see cref="DeploymentEvent.FromState"/> and <see cref="DeploymentEvent.ToState"/> say how.</summary>
    public const string ServerState = "server.state";

    /// <summary>A server failed (its launch or its process); <see cref="DeploymentEvent.ToState"/> is <c>Failed</c>.</summary>
    public const string ServerFailed = "server.failed";

    /// <summary>A server was replaced on purpose (e.g. by a restore of its volume), not because it failed; a new server takes its place.</summary>
    public const string ServerReplaced = "server.replaced";

    /// <summary>The liveness audit found a server nothing was working on and repaired it.</summary>
    public const string ServerLiveness = "server.liveness";

    /// <summary>A tier holds unhealthy servers back from replacement: more fail together than it replaces at once.</summary>
    public const string TierOverloaded = "tier.overloaded";

    /// <summary>Work on a server (a launch or a termination) threw.</summary>
    public const string ServerError = "server.error";

    /// <summary>A server's stop hook did not succeed, so it is stopped with signals.</summary>
    public const string ServerStop = "server.stop";

    /// <summary>A host came back running a server the control plane had replaced; its agent stopped it before it could serve.</summary>
    public const string ServerFenced = "server.fenced";

    /// <summary>The provider runs a server the state does not know; it is terminated.</summary>
    public const string ServerOrphan = "server.orphan";

    /// <summary>A server could not be moved off a draining host: no other host can take it, so it keeps running there.</summary>
    public const string HostDrain = "host.drain";

    /// <summary>A host was removed with <c>--force</c> while it ran servers of the deployment: they are replaced elsewhere.</summary>
    public const string HostRemoved = "host.removed";

    /// <summary>A tier's rolling update moved to its next phase.</summary>
    public const string TierRollout = "tier.rollout";

    /// <summary>A tier's launches failed in a row; they now back off.</summary>
    public const string TierCrashLoop = "tier.crashloop";

    /// <summary>A tier waits for something before it can launch (a volume, a dependency).</summary>
    public const string TierWaiting = "tier.waiting";

    /// <summary>A tier's new servers do not all fit on the hosts it may use; none is launched until they do.</summary>
    public const string TierNoCapacity = "tier.no-capacity";

    /// <summary>A tier's shortage of capacity ended: its new servers fit, or it needs none any more.</summary>
    public const string TierCapacityResolved = "tier.capacity-resolved";

    /// <summary>
    /// No host can take a tier's new server beside its old ones during an update: each old server stops before its
    /// replacement starts, so the tier runs one server short meanwhile.
    /// </summary>
    public const string TierUpdateInPlace = "tier.update-in-place";

    /// <summary>An autoscaler changed a tier's desired count.</summary>
    public const string TierScaling = "tier.scaling";

    /// <summary>A rollback began or could not begin; <see cref="DeploymentEvent.Rollback"/> says which.</summary>
    public const string DeploymentRollback = "deployment.rollback";

    /// <summary>A reconcile pass of the deployment failed, or its applied spec could not be reloaded.</summary>
    public const string DeploymentError = "deployment.error";

    /// <summary>The deployment was deleted.</summary>
    public const string DeploymentDeleted = "deployment.deleted";

    /// <summary>
    /// The deployment's phase changed (converging, converged, degraded, awaiting promotion, deleting), as a pass found
    /// it: what `strata status` says now, told once per change, so that a waiting `strata up` looks at the status then.
    /// </summary>
    public const string DeploymentPhase = "deployment.phase";

    /// <summary>A load balancer's members changed.</summary>
    public const string LoadBalancerMembers = "loadbalancer.members";

    /// <summary>A load balancer was stopped.</summary>
    public const string LoadBalancerStopped = "loadbalancer.stopped";

    /// <summary>A load balancer could not be started or updated.</summary>
    public const string LoadBalancerFailed = "loadbalancer.failed";

    /// <summary>A load balancer's own check of a server changed verdict.</summary>
    public const string LoadBalancerCheck = "loadbalancer.check";

    /// <summary>A load balancer with placement was placed on a host, or moved to another one.</summary>
    public const string LoadBalancerPlaced = "loadbalancer.placed";

    /// <summary>A host that came back stopped a load balancer that was placed elsewhere while it was away.</summary>
    public const string LoadBalancerFenced = "loadbalancer.fenced";

    /// <summary>An image was baked into a machine image.</summary>
    public const string ImageBaked = "image.baked";

    /// <summary>A final snapshot of a volume was taken before it was deleted.</summary>
    public const string VolumeSnapshot = "volume.snapshot";

    /// <summary>A volume on a lost host was given up for a new one restored from the newest snapshot; names its recovery point.</summary>
    public const string VolumeRecovered = "volume.recovered";

    /// <summary>A volume was copied off its draining host to the host its server's replacement was placed on.</summary>
    public const string VolumeMoved = "volume.moved";

    public const string BackupCompleted = "backup.completed";

    public const string BackupFailed = "backup.failed";

    public const string BackupRestored = "backup.restored";

    /// <summary>A restore that was asked for properly failed on its way (a damaged backup, a host out of reach, no server in service after it); names the cause.</summary>
    public const string BackupRestoreFailed = "backup.restore-failed";

    public const string BackupPruned = "backup.pruned";

    public const string BackupReplicated = "backup.replicated";

    public const string BackupReplicationFailed = "backup.replication-failed";

    public const string BackupStoreUnavailable = "backup.store-unavailable";

    public const string BackupDrillPassed = "backup.drill-passed";

    public const string BackupDrillFailed = "backup.drill-failed";

    /// <summary>A region drill's scratch copy came back outside the region and served; gives the recovery time and point.</summary>
    public const string RegionDrillPassed = "region.drill-passed";

    /// <summary>A region drill's scratch copy could not come back outside the region, or did not serve; says why.</summary>
    public const string RegionDrillFailed = "region.drill-failed";
}
