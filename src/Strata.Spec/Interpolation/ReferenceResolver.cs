using System.Globalization;
using Strata.Spec.Model;

namespace Strata.Spec.Interpolation;

/// <summary>A launched server as templates see it (<c>${self.address}</c>, <c>${tiers.db.servers[0].name}</c>); <c>.id</c> is its name.</summary>
public sealed record LiveServer(string Name, string Address, string Tier, string Zone);

/// <summary>
/// Where the values that exist only once servers run come from. A plan answers "known after apply" (null) for all of
/// them (<see cref="ReferenceSource.Plan"/>); the control plane answers from the deployment's live state.
/// </summary>
public interface IReferenceSource
{
    /// <summary>Identifies the source in errors, e.g. <c>plan</c> or <c>server shop-web-k3x9a1</c>.</summary>
    string Name { get; }

    /// <summary>The server a template is evaluated for, or null when it is not known (a plan, an output).</summary>
    LiveServer? Self { get; }

    /// <summary>The servers of <paramref name="tier"/> that references read, in index order; null while none is known.</summary>
    IReadOnlyList<LiveServer>? ServersOf(string tier);

    /// <summary>The address of the host a load balancer with <c>placement</c> runs on; null while none is known.</summary>
    string? AddressOfLoadBalancer(string loadBalancer) => null;

    /// <summary>
    /// Where a load balancer listens when that is not where its spec says (a drill's scratch copy listens on a port
    /// of its own); null, the default: where the spec says.
    /// </summary>
    LoadBalancerListener? ListenerOfLoadBalancer(string loadBalancer) => null;
}

/// <summary>The address and port a load balancer listens on.</summary>
public sealed record LoadBalancerListener(string Address, int Port);

/// <summary>The sources the spec itself offers.</summary>
public static class ReferenceSource
{
    /// <summary>No server exists yet: every value that needs one is known after apply.</summary>
    public static IReferenceSource Plan { get; } = new PlanSource(_ => null);

    /// <summary>A plan of a deployment whose load balancers with placement run at the addresses <paramref name="addressOfLoadBalancer"/> gives.</summary>
    public static IReferenceSource PlanWith(Func<string, string?> addressOfLoadBalancer) => new PlanSource(addressOfLoadBalancer);

    private sealed class PlanSource(Func<string, string?> addressOfLoadBalancer) : IReferenceSource
    {
        public string Name => "plan";

        public LiveServer? Self => null;

        public IReadOnlyList<LiveServer>? ServersOf(string tier) => null;

        public string? AddressOfLoadBalancer(string loadBalancer) => addressOfLoadBalancer(loadBalancer);
    }
}

/// <summary>
/// The one resolver of <c>${…}</c> references, for plans and for running servers alike (as Aspire evaluates one
/// <c>ReferenceExpression</c> for the manifest and at run time). Every kind of <see cref="Reference"/> is answered here:
/// parameters (secret when declared so), the deployment name, load balancer addresses and tier ports from the spec;
/// servers from the <see cref="IReferenceSource"/>, which at plan time knows none, so those values show as
/// <c>(known after apply)</c> exactly where a running deployment needs its live state.
/// </summary>
public sealed class ReferenceResolver(DeploymentSpec spec, IReferenceSource source) : IReferenceResolver
{
    private readonly IReadOnlyDictionary<string, ReferenceValue> _parameters = Parameters(spec);

    /// <summary>A resolver for a plan: nothing runs yet.</summary>
    public static ReferenceResolver ForPlan(DeploymentSpec spec) => new(spec, ReferenceSource.Plan);

    public string Name => source.Name;

    /// <summary>
    /// Every parameter's value with its secrecy, from the spec's resolved values (given, else default, normalised as
    /// the loader checked them); a parameter without one is unknown.
    /// </summary>
    public static IReadOnlyDictionary<string, ReferenceValue> Parameters(DeploymentSpec spec) =>
        spec.Parameters.ToDictionary(
            p => p.Name,
            p => spec.ResolvedParameters.TryGetValue(p.Name, out var value) ? ReferenceValue.Known(value, p.Secret) : ReferenceValue.Unknown,
            StringComparer.Ordinal);

    public ReferenceValue? Resolve(PathExpression path) => Reference.Parse(path) switch
    {
        ParameterReference p => _parameters.GetValueOrDefault(p.Name),
        DeploymentNameReference => ReferenceValue.Known(spec.Name),
        LoadBalancerReference lb => LoadBalancer(lb),
        TierPortReference port => Port(port),
        TierServerReference server => Server(server),
        SelfReference self => source.Self is { } server ? Attribute(server, self.Attribute) : ReferenceValue.Unknown,
        _ => null,
    };

    private ReferenceValue? LoadBalancer(LoadBalancerReference reference)
    {
        if (spec.FindLoadBalancer(reference.LoadBalancer) is not { } balancer)
        {
            return null;
        }

        // One placed on a host listens on the host's address, known once the host is chosen.
        var listener = source.ListenerOfLoadBalancer(balancer.Name);
        var address = listener?.Address ?? (balancer.Placement is null ? balancer.ListenHost : source.AddressOfLoadBalancer(balancer.Name));
        var port = listener?.Port ?? balancer.ListenPort;
        if (address is null && reference.Attribute != LoadBalancerAttribute.Port)
        {
            return ReferenceValue.Unknown;
        }

        return ReferenceValue.Known(reference.Attribute switch
        {
            LoadBalancerAttribute.Address => address!,
            LoadBalancerAttribute.Port => port.ToString(CultureInfo.InvariantCulture),
            LoadBalancerAttribute.Listen => $"{address}:{port}",
            _ => balancer.UrlAt(address!, port),
        });
    }

    private ReferenceValue? Port(TierPortReference reference) =>
        spec.FindTier(reference.Tier)?.Ports.FirstOrDefault(p => p.Name == reference.Port) is { } port
            ? ReferenceValue.Known(port.Port.ToString(CultureInfo.InvariantCulture))
            : null;

    private ReferenceValue? Server(TierServerReference reference)
    {
        if (spec.FindTier(reference.Tier) is null)
        {
            return null;
        }

        if (source.ServersOf(reference.Tier) is not { Count: > 0 } servers)
        {
            return ReferenceValue.Unknown;
        }

        if (reference.Index is not { } index)
        {
            return ReferenceValue.List([.. servers.Select(s => Attribute(s, reference.Attribute).Text!)]);
        }

        return index < servers.Count ? Attribute(servers[index], reference.Attribute) : ReferenceValue.Unknown;
    }

    private static ReferenceValue Attribute(LiveServer server, ServerAttribute attribute) => ReferenceValue.Known(attribute switch
    {
        ServerAttribute.Address => server.Address,
        ServerAttribute.Tier => server.Tier,
        ServerAttribute.Zone => server.Zone,
        _ => server.Name,
    });
}
