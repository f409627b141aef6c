using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// The values of <c>${…}</c> references that need a running deployment, answered from its live state: the servers
/// that exist and, for a server's own commands, that server. A reference to a server that does not exist yet is
/// unknown, as in a plan, which makes the dependent launch wait. Everything else comes from the spec through the one
/// <see cref="ReferenceResolver"/>, so a reference means the same at plan time and at run time.
/// </summary>
internal sealed class LiveReferences : IReferenceSource
{
    private readonly Dictionary<string, IReadOnlyList<LiveServer>> _servers;
    private readonly DeploymentState _state;

    private LiveReferences(string deployment, DeploymentState state, ServerIdentity? self)
    {
        Name = self is null ? $"deployment {deployment}" : $"server {self.ServerId}";
        Self = self is null ? null : new LiveServer(self.ServerId, self.Address, self.Tier, self.Zone);
        _servers = Addressed(state);
        _state = state;
    }

    public string Name { get; }

    public LiveServer? Self { get; }

    /// <summary>The resolver of <paramref name="spec"/>'s references over <paramref name="state"/>, for <paramref name="self"/> when given.</summary>
    public static ReferenceResolver Resolver(DeploymentSpec spec, DeploymentState state, ServerIdentity? self = null) =>
        new(spec, new LiveReferences(spec.Name, state, self));

    public IReadOnlyList<LiveServer>? ServersOf(string tier) => _servers.GetValueOrDefault(tier);

    public string? AddressOfLoadBalancer(string loadBalancer) => _state.FindLoadBalancer(loadBalancer)?.Address;

    public LoadBalancerListener? ListenerOfLoadBalancer(string loadBalancer) => _state.ListenerOverrides.GetValueOrDefault(loadBalancer);

    /// <summary>
    /// Each tier's servers that have an address, oldest first, so <c>servers[0]</c> stays put while it lives. A tier
    /// without one is left out, so that even <c>servers[*]</c> of it is unknown and its dependents wait.
    /// </summary>
    private static Dictionary<string, IReadOnlyList<LiveServer>> Addressed(DeploymentState state)
    {
        var servers = new Dictionary<string, IReadOnlyList<LiveServer>>(StringComparer.Ordinal);
        foreach (var tier in state.Tiers)
        {
            var live = tier.Servers
                .Where(s => s.Address is not null && s.State is not (ServerStatus.Terminating or ServerStatus.Terminated or ServerStatus.Failed))
                .OrderBy(s => s.LaunchedAt).ThenBy(s => s.Name, StringComparer.Ordinal)
                .Select(s => new LiveServer(s.Name, s.Address!, tier.LogicalName, s.Zone))
                .ToList();
            if (live.Count > 0)
            {
                servers[tier.LogicalName] = live;
            }
        }

        return servers;
    }
}
