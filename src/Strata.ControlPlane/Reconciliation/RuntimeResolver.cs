using System.Globalization;
using Strata.Planning;
using Strata.Providers;
using Strata.Spec;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Resolves <c>${…}</c> references against the live deployment: parameters, addresses of servers that exist, load
/// balancer endpoints and, for launch settings, the server being launched. A reference to a server that does not
/// exist yet is unknown, which makes the dependent launch wait.
/// </summary>
public sealed class RuntimeResolver(
    DeploymentSpec spec,
    IReadOnlyDictionary<string, ReferenceValue> parameters,
    DeploymentState state,
    ServerIdentity? self) : IReferenceResolver
{
    public string Name => self is null ? $"deployment {spec.Name}" : $"server {self.ServerId}";

    public ReferenceValue? Resolve(PathExpression path) => path.Root switch
    {
        "params" => Segment(path, 1) is { } name && parameters.TryGetValue(name, out var value) ? value : null,
        "self" => ResolveSelf(Segment(path, 1)),
        "tiers" => ResolveTier(path),
        "loadBalancers" => ResolveLoadBalancer(Segment(path, 1), Segment(path, 2)),
        "deployment" => Segment(path, 1) == "name" ? ReferenceValue.Known(spec.Name) : null,
        _ => null,
    };

    /// <summary>Parameter values by name with their secrecy, from what the spec declares and the values given.</summary>
    public static IReadOnlyDictionary<string, ReferenceValue> Parameters(DeploymentSpec spec, IReadOnlyDictionary<string, string> given)
    {
        var values = new Dictionary<string, ReferenceValue>(StringComparer.Ordinal);
        foreach (var parameter in spec.Parameters)
        {
            var text = given.TryGetValue(parameter.Name, out var v) ? v : parameter.Default;
            values[parameter.Name] = text is null ? ReferenceValue.Unknown : ReferenceValue.Known(text, parameter.Secret);
        }

        return values;
    }

    private ReferenceValue? ResolveSelf(string? field)
    {
        if (self is null)
        {
            return ReferenceValue.Unknown;
        }

        return field switch
        {
            "address" => ReferenceValue.Known(self.Address),
            "name" => ReferenceValue.Known(self.ServerId),
            "tier" => ReferenceValue.Known(self.Tier),
            "zone" => ReferenceValue.Known(self.Zone),
            _ => null,
        };
    }

    private ReferenceValue? ResolveTier(PathExpression path)
    {
        var tier = Segment(path, 1) is { } name ? spec.FindTier(name) : null;
        if (tier is not null && Segment(path, 2) == "ports")
        {
            return tier.Ports.FirstOrDefault(p => p.Name == Segment(path, 3)) is { } port
                ? ReferenceValue.Known(port.Port.ToString(CultureInfo.InvariantCulture))
                : null;
        }

        if (tier is null || path.Segments.Count < 3 || path.Segments[2].Name != "servers")
        {
            return tier is null ? null : ReferenceValue.Unknown;
        }

        var servers = Addressed(tier.Name);
        var selector = path.Segments.Count > 3 ? path.Segments[3] : null;
        var field = path.Segments.Count > 4 ? path.Segments[4].Name : "address";
        if (selector is { IsWildcard: true })
        {
            return servers.Count == 0 ? ReferenceValue.Unknown : ReferenceValue.List(servers.Select(s => Field(s, field)).ToList());
        }

        var index = selector?.Index ?? 0;
        return index < servers.Count ? ReferenceValue.Known(Field(servers[index], field)) : ReferenceValue.Unknown;
    }

    /// <summary>Servers of a tier that have an address, oldest first, so <c>servers[0]</c> stays put while it lives.</summary>
    private List<ServerState> Addressed(string tier) =>
        state.FindTier(tier)?.Servers
            .Where(s => s.Address is not null && s.State is not (ServerStatus.Terminating or ServerStatus.Terminated or ServerStatus.Failed))
            .OrderBy(s => s.LaunchedAt).ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToList() ?? [];

    private static string Field(ServerState server, string? field) => field switch
    {
        "name" => server.Name,
        "zone" => server.Zone,
        _ => server.Address!,
    };

    private ReferenceValue? ResolveLoadBalancer(string? name, string? field)
    {
        var lb = name is null ? null : spec.FindLoadBalancer(name);
        if (lb is null)
        {
            return null;
        }

        return field switch
        {
            "address" or "host" => ReferenceValue.Known(lb.ListenHost),
            "port" => ReferenceValue.Known(lb.ListenPort.ToString(CultureInfo.InvariantCulture)),
            "listen" => ReferenceValue.Known(lb.Listen),
            "url" => ReferenceValue.Known(state.FindLoadBalancer(lb.Name)?.Url ?? $"http://{lb.Listen}"),
            _ => null,
        };
    }

    private static string? Segment(PathExpression path, int index) =>
        index < path.Segments.Count ? path.Segments[index].Name : null;
}
