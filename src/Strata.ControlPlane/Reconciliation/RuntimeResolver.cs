using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using Strata.Spec.Parameters;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Resolves <c>${…}</c> references against the live deployment: parameters, servers that exist, load balancer
/// endpoints and, for launch settings, the server being launched. It evaluates with the plan's own resolver
/// (<see cref="SpecReferenceResolver"/>), given the servers of the state, so that a reference means the same at
/// plan time and at run time. A reference to a server that does not exist yet is unknown, which makes the
/// dependent launch wait.
/// </summary>
public sealed class RuntimeResolver(
    DeploymentSpec spec,
    IReadOnlyDictionary<string, ReferenceValue> parameters,
    DeploymentState state,
    ServerIdentity? self) : IReferenceResolver
{
    private readonly SpecReferenceResolver _core = new(spec)
    {
        ParameterValues = parameters,
        Self = self is null ? null : new ServerReference(self.ServerId, self.Address, self.Tier, self.Zone, self.ServerId),
        Servers = Addressed(state),
    };

    public string Name => self is null ? $"deployment {spec.Name}" : $"server {self.ServerId}";

    public ReferenceValue? Resolve(PathExpression path) => _core.Resolve(path);

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

    /// <summary>
    /// Each tier's servers that have an address, oldest first, so <c>servers[0]</c> stays put while it lives. A tier
    /// without one is left out, so that even <c>servers[*]</c> of it is unknown and its dependents wait.
    /// </summary>
    private static Dictionary<string, IReadOnlyList<ServerReference>> Addressed(DeploymentState state)
    {
        var servers = new Dictionary<string, IReadOnlyList<ServerReference>>(StringComparer.Ordinal);
        foreach (var tier in state.Tiers)
        {
            var live = tier.Servers
                .Where(s => s.Address is not null && s.State is not (ServerStatus.Terminating or ServerStatus.Terminated or ServerStatus.Failed))
                .OrderBy(s => s.LaunchedAt).ThenBy(s => s.Name, StringComparer.Ordinal)
                .Select(s => new ServerReference(s.Name, s.Address!, tier.LogicalName, s.Zone, s.Name))
                .ToList();
            if (live.Count > 0)
            {
                servers[tier.LogicalName] = live;
            }
        }

        return servers;
    }
}
