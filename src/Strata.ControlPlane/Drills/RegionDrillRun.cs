using Strata.ControlPlane.Hosts;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Drills;

/// <summary>The outcome of a region drill: whether the copy came back and served, how fast, and how old its data was.</summary>
/// <param name="Region">The region the drill did without.</param>
/// <param name="Passed">Every scratch server was healthy and every load balancer served.</param>
/// <param name="Message">What happened, or why it failed.</param>
/// <param name="RecoveryTime">From the drill's start to the last load balancer serving; null when it failed.</param>
/// <param name="RecoveryPoint">How old the oldest restored snapshot was when the drill started; null without one.</param>
public sealed record RegionDrillOutcome(
    string Region, bool Passed, string Message, TimeSpan? RecoveryTime, TimeSpan? RecoveryPoint,
    IReadOnlyList<RegionDrillServer> Servers, IReadOnlyList<RegionDrillVolume> Volumes, IReadOnlyList<RegionDrillLoadBalancer> LoadBalancers);

/// <summary>A scratch server that was healthy: where it ran and how long its tier took from launch to healthy.</summary>
public sealed record RegionDrillServer(string Tier, string Name, string? Host, string Zone, string? Region, string Address, TimeSpan HealthyAfter);

/// <summary>A scratch volume and the snapshot it was filled from (none for a volume without a snapshot policy).</summary>
public sealed record RegionDrillVolume(string Tier, string Volume, string Server, string? Snapshot, DateTimeOffset? TakenAt);

/// <summary>A scratch load balancer that served: where, on which host (null for the control plane's machine), and its answer.</summary>
public sealed record RegionDrillLoadBalancer(string Name, string Url, string? Host, int StatusCode);

/// <summary>One region drill under way: what it has started so far, and the state its references resolve against.</summary>
internal sealed class RegionDrillRun(DeploymentRuntime runtime, string region, IReadOnlyList<HostRecord> hosts, RegionDrillScratch scratch, Func<string, Task> progress)
{
    private readonly Lock _lock = new();
    private long? _servingAt;

    public DeploymentRuntime Runtime { get; } = runtime;

    public string Region { get; } = region;

    public IReadOnlyList<HostRecord> Hosts { get; } = hosts;

    public RegionDrillScratch Scratch { get; } = scratch;

    public Func<string, Task> Progress { get; } = progress;

    public List<RegionDrillServer> Servers { get; } = [];

    public List<RegionDrillVolume> Volumes { get; } = [];

    public List<RegionDrillLoadBalancer> LoadBalancers { get; } = [];

    /// <summary>
    /// The deployment's state with the scratch servers in place of its own: a tier's references name the scratch
    /// servers of the tiers it needs, started before it. Tiers not started yet have no servers, so nothing resolves to
    /// the deployment's own.
    /// </summary>
    public DeploymentState References { get; private set; } = runtime.State with { Tiers = [.. runtime.State.Tiers.Select(t => t with { Servers = [] })] };

    public void Volume(RegionDrillVolume volume)
    {
        lock (_lock)
        {
            Volumes.Add(volume);
        }
    }

    /// <summary>Records a tier's healthy scratch servers, for the references of the tiers after it.</summary>
    public void Started(TierSpec tier, IReadOnlyList<ServerInstance> instances)
    {
        var servers = instances.Select(i => new ServerState
        {
            Name = i.Id, Tier = tier.Name, Zone = i.Zone, Address = i.Address, State = ServerStatus.InService,
            ImageDigest = "", LaunchDigest = "", LaunchedAt = i.LaunchedAt,
        }).ToList();
        var state = (Runtime.State.FindTier(tier.Name) ?? new TierState
        {
            LogicalName = tier.Name, ImageDigest = "", LaunchDigest = "", SettingsDigest = "",
            Count = new TierCount(tier.Servers.Min, tier.Servers.Max, tier.Servers.Desired),
        }) with { Servers = servers };
        References = References with { Tiers = [.. References.Tiers.Where(t => t.LogicalName != tier.Name), state] };
    }

    /// <summary>Records where a scratch load balancer listens, for the references of the tiers started after it.</summary>
    public void Listening(string loadBalancer, LoadBalancerListener listener) =>
        References = References with
        {
            ListenerOverrides = new Dictionary<string, LoadBalancerListener>(References.ListenerOverrides) { [loadBalancer] = listener },
        };

    /// <summary>The scratch servers of a tier, as its load balancers' members.</summary>
    public IReadOnlyList<ServerState> ServersOf(string tier) => References.FindTier(tier)?.Servers ?? [];

    /// <summary>Marks the copy as serving, now.</summary>
    public void Serving(long timestamp) => _servingAt = timestamp;

    /// <summary>The recovery time: from <paramref name="started"/> until the copy served.</summary>
    public TimeSpan ServedAfter(long started, TimeProvider time) => time.GetElapsedTime(started, _servingAt ?? time.GetTimestamp());
}
