using System.Text.Json.Serialization;
using Strata.Planning.Parameters;
using Strata.Spec.Interpolation;

namespace Strata.Planning.State;

/// <summary>
/// What exists of one deployment, as the runtime records it. The planner diffs a spec against it; the runtime
/// replaces it with <c>with</c> and a bumped <see cref="Serial"/> on every change it makes.
/// </summary>
public sealed record DeploymentState
{
    public required string Name { get; init; }

    /// <summary>Bumped on every change. A saved plan records the serial it was made against and refuses any other.</summary>
    public long Serial { get; init; }

    /// <summary>The <see cref="SpecDigests.Deployment(Strata.Spec.Model.DeploymentSpec)"/> of the spec last applied; empty before the first apply.</summary>
    public string SpecDigest { get; init; } = "";

    /// <summary>The <see cref="ParameterDigest"/> of the parameter values last applied; empty before the first apply.</summary>
    public string ParameterDigest { get; init; } = "";

    public IReadOnlyList<ImageState> Images { get; init; } = [];

    public IReadOnlyList<TierState> Tiers { get; init; } = [];

    public IReadOnlyList<LoadBalancerState> LoadBalancers { get; init; } = [];

    public IReadOnlyList<VolumeState> Volumes { get; init; } = [];

    public IReadOnlyList<FirewallRuleState> FirewallRules { get; init; } = [];

    /// <summary>
    /// The provider's image artifact for every image source digest baked for this deployment, so that servers of an
    /// earlier launch (a rollback) can be launched again after the image folder changed.
    /// </summary>
    public IReadOnlyDictionary<string, string> Artifacts { get; init; } = new Dictionary<string, string>();

    /// <summary>Output values as last computed, by name. Secret outputs hold <c>(secret)</c>.</summary>
    public IReadOnlyDictionary<string, string> Outputs { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Where load balancers listen, by logical name, when that is not where the spec says: only a region drill's
    /// scratch copy sets it, so that its servers' <c>${loadBalancers.…}</c> name its own load balancers, which listen
    /// on ports of their own, not the deployment's. Never stored.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, LoadBalancerListener> ListenerOverrides { get; init; } = new Dictionary<string, LoadBalancerListener>();

    /// <summary>The state of a deployment that has never been applied: serial 0 and nothing in it.</summary>
    public static DeploymentState Empty(string name) => new() { Name = name };

    public ImageState? FindImage(string logicalName) => Images.FirstOrDefault(i => i.LogicalName == logicalName);

    public TierState? FindTier(string logicalName) => Tiers.FirstOrDefault(t => t.LogicalName == logicalName);

    /// <summary>The server of that tier with that physical name, as recorded now.</summary>
    public ServerState? FindServer(string tier, string name) => FindTier(tier)?.Servers.FirstOrDefault(s => s.Name == name);

    public LoadBalancerState? FindLoadBalancer(string logicalName) =>
        LoadBalancers.FirstOrDefault(l => l.LogicalName == logicalName);

    /// <summary>This state with the tier of the same logical name replaced by <paramref name="tier"/>.</summary>
    public DeploymentState WithTier(TierState tier) =>
        this with { Tiers = [.. Tiers.Select(t => t.LogicalName == tier.LogicalName ? tier : t)] };

    /// <summary>This state without the tier of that logical name (and so without its servers).</summary>
    public DeploymentState WithoutTier(string logicalName) =>
        this with { Tiers = [.. Tiers.Where(t => t.LogicalName != logicalName)] };

    /// <summary>
    /// This state with the server's record replaced, stamped with <paramref name="now"/> as the time it entered its
    /// state when the state changed. A server that is no longer recorded stays gone: the same state is returned.
    /// </summary>
    public DeploymentState WithServer(ServerState server, DateTimeOffset now)
    {
        var tier = FindTier(server.Tier);
        var existing = tier?.Servers.FirstOrDefault(s => s.Name == server.Name);
        if (tier is null || existing is null)
        {
            return this;
        }

        var stamped = existing.State != server.State ? server with { StateSince = now } : server;
        return WithTier(tier with { Servers = [.. tier.Servers.Select(s => s.Name == server.Name ? stamped : s)] });
    }

    /// <summary>This state without the server of that physical name, whatever its tier.</summary>
    public DeploymentState WithoutServer(string name) =>
        this with { Tiers = [.. Tiers.Select(t => t with { Servers = [.. t.Servers.Where(s => s.Name != name)] })] };

    /// <summary>This state with the volume of the same physical name replaced by <paramref name="volume"/>.</summary>
    public DeploymentState WithVolume(VolumeState volume) =>
        this with { Volumes = [.. Volumes.Select(v => v.Name == volume.Name ? volume : v)] };

    /// <summary>This state without the volume of that physical name.</summary>
    public DeploymentState WithoutVolume(string name) =>
        this with { Volumes = [.. Volumes.Where(v => v.Name != name)] };

    /// <summary>This state with the volumes the server holds detached at <paramref name="now"/>, free for the server that takes them over.</summary>
    public DeploymentState WithVolumesDetachedFrom(string server, DateTimeOffset now) =>
        Volumes.Any(v => v.Server == server)
            ? this with { Volumes = [.. Volumes.Select(v => v.Server == server ? v with { Server = null, ReleasedAt = now } : v)] }
            : this;

    /// <summary>Every physical name in use: servers, load balancers and volumes.</summary>
    public IEnumerable<string> PhysicalNames() =>
        Tiers.SelectMany(t => t.Servers.Select(s => s.Name))
            .Concat(LoadBalancers.Select(l => l.PhysicalName))
            .Concat(Volumes.Select(v => v.Name));
}

/// <summary>A baked image. <see cref="Digest"/> is the source folder's <see cref="ImageDigest"/>, not the artifact id.</summary>
public sealed record ImageState
{
    public required string LogicalName { get; init; }

    /// <summary>The source digest, <c>sha256:…</c>, as computed by <see cref="ImageDigest.Compute(string)"/>.</summary>
    public required string Digest { get; init; }

    /// <summary>The provider's id of the baked artifact, which may differ from <see cref="Digest"/>.</summary>
    public string? ArtifactId { get; init; }

    public DateTimeOffset? BakedAt { get; init; }
}

/// <summary>A firewall rule in force, keyed by its endpoints, port and protocol.</summary>
public sealed record FirewallRuleState(string From, string To, int Port, Strata.Spec.Model.FirewallProtocol Protocol)
{
    /// <summary>The rule as written in a plan address, e.g. <c>web-&gt;db:5432/tcp</c>.</summary>
    public string Key => FirewallKey.Of(From, To, Port, Protocol);
}

internal static class FirewallKey
{
    public static string Of(string from, string to, int port, Strata.Spec.Model.FirewallProtocol protocol) =>
        $"{from}->{to}:{port}/{protocol.ToString().ToLowerInvariant()}";
}
