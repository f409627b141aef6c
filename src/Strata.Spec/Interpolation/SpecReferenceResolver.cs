using System.Globalization;
using Strata.Spec.Model;
using Strata.Spec.Parameters;

namespace Strata.Spec.Interpolation;

/// <summary>A launched server as templates see it: <c>${self.address}</c>, <c>${tiers.db.servers[0].name}</c>.</summary>
public sealed record ServerReference(string Name, string Address, string Tier, string Zone, string Id);

/// <summary>
/// Resolves the references of a loaded spec. Parameters, the deployment name, load balancer addresses and tier
/// ports come from the spec; servers come from <see cref="Servers"/> and <see cref="Self"/> when given, and are
/// known only after apply otherwise, as in a plan.
/// </summary>
public sealed class SpecReferenceResolver(DeploymentSpec spec) : IReferenceResolver
{
    private readonly Dictionary<string, ParameterSpec> _parameters = spec.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public string Name => Self is null ? "plan" : $"server {Self.Name}";

    /// <summary>The server the template is evaluated for; null in a plan.</summary>
    public ServerReference? Self { get; init; }

    /// <summary>Launched servers by tier name, in index order; null in a plan.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ServerReference>>? Servers { get; init; }

    /// <summary>Parameter values with their secrecy, when they come from elsewhere than the spec's resolved values (an applied deployment).</summary>
    public IReadOnlyDictionary<string, ReferenceValue>? ParameterValues { get; init; }

    public ReferenceValue? Resolve(PathExpression path)
    {
        var s = path.Segments;
        return (path.Root, s.Count) switch
        {
            ("params", 2) => Parameter(s[1].Name),
            ("deployment", 2) when s[1].Name == "name" => ReferenceValue.Known(spec.Name),
            ("self", 2) => Self is null ? ReferenceValue.Unknown : Attribute(Self, s[1].Name),
            ("loadBalancers", 3) => LoadBalancer(s[1].Name, s[2].Name),
            ("tiers", 4) when s[2].Name == "ports" => Port(s[1].Name, s[3].Name),
            ("tiers", 5) when s[2].Name == "servers" => Server(s[1].Name, s[3], s[4].Name),
            _ => null,
        };
    }

    private ReferenceValue? Parameter(string? name)
    {
        if (name is null || !_parameters.TryGetValue(name, out var parameter))
        {
            return null;
        }

        if (ParameterValues is not null)
        {
            return ParameterValues.GetValueOrDefault(name, ReferenceValue.Unknown);
        }

        return spec.ResolvedParameters.TryGetValue(name, out var value) ? ReferenceValue.Known(value, parameter.Secret) : ReferenceValue.Unknown;
    }

    private ReferenceValue? LoadBalancer(string? name, string? attribute)
    {
        if (spec.FindLoadBalancer(name ?? "") is not { } balancer)
        {
            return null;
        }

        return attribute switch
        {
            "address" => ReferenceValue.Known(balancer.ListenHost),
            "port" => ReferenceValue.Known(balancer.ListenPort.ToString(CultureInfo.InvariantCulture)),
            "listen" => ReferenceValue.Known(balancer.Listen),
            "url" => ReferenceValue.Known($"{(balancer.Tls is null ? "http" : "https")}://{balancer.Listen}"),
            _ => null,
        };
    }

    private ReferenceValue? Port(string? tier, string? port) =>
        spec.FindTier(tier ?? "")?.Ports.FirstOrDefault(p => p.Name == port) is { } found
            ? ReferenceValue.Known(found.Port.ToString(CultureInfo.InvariantCulture))
            : null;

    private ReferenceValue? Server(string? tier, PathSegment index, string? attribute)
    {
        if (spec.FindTier(tier ?? "") is null)
        {
            return null;
        }

        if (Servers is null || !Servers.TryGetValue(tier!, out var servers))
        {
            return ReferenceValue.Unknown;
        }

        if (index.IsWildcard)
        {
            var values = servers.Select(s => Attribute(s, attribute)?.Text).ToList();
            return values.Any(v => v is null) ? null : ReferenceValue.List(values!);
        }

        return index.Index is { } i && i < servers.Count ? Attribute(servers[i], attribute) : ReferenceValue.Unknown;
    }

    private static ReferenceValue? Attribute(ServerReference server, string? attribute) => attribute switch
    {
        "address" => ReferenceValue.Known(server.Address),
        "name" => ReferenceValue.Known(server.Name),
        "tier" => ReferenceValue.Known(server.Tier),
        "zone" => ReferenceValue.Known(server.Zone),
        "id" => ReferenceValue.Known(server.Id),
        _ => null,
    };
}
