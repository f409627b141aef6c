using Strata.LoadBalancing;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>A host a load balancer with <c>placement</c> runs on, and the address it listens on there.</summary>
public sealed record LoadBalancerHost(string Name, string Address, string Zone);

/// <summary>
/// Where load balancers with <c>placement</c> run: a registered host matching the rules whose port is free, reached
/// through its agent (<see cref="DriverOn"/>). A load balancer without placement runs on the control plane's machine
/// and never asks.
/// </summary>
public interface ILoadBalancerHosts
{
    /// <summary>
    /// Chooses a ready host for the load balancer and holds its port there (no server or other load balancer is placed
    /// on that port of the host afterwards); null with the reason when none qualifies.
    /// </summary>
    Task<(LoadBalancerHost? Host, string? Shortage)> PlaceAsync(string deployment, LoadBalancerSpec spec, string physicalName, CancellationToken ct);

    /// <summary>
    /// A ready host matching <paramref name="rules"/> for a scratch load balancer (a drill's), which listens on a port
    /// the system picks and so holds none; null with the reason when none qualifies.
    /// </summary>
    Task<(LoadBalancerHost? Host, string? Shortage)> PlaceScratchAsync(string deployment, string name, Providers.PlacementRules rules, CancellationToken ct);

    /// <summary>
    /// The host the load balancer would be placed on now, for a plan to show; null when none would take it. Of the
    /// deployment's other load balancers, only those named in <paramref name="kept"/> (still in its spec) hold their ports.
    /// </summary>
    Task<Planning.PlannedHost?> PreviewAsync(string deployment, LoadBalancerSpec spec, IReadOnlyCollection<string> kept, CancellationToken ct);

    /// <summary>
    /// Frees what <see cref="PlaceAsync"/> held, once the deployment's state records the load balancer on its host (which
    /// holds the port from then on, also after a restart) or it was given up.
    /// </summary>
    void Release(string physicalName);

    /// <summary>The driver of that name on the host, or null with <paramref name="why"/> when the host cannot be reached now.</summary>
    ILoadBalancerDriver? DriverOn(string host, string driver, out string? why);

    /// <summary>
    /// Why a load balancer on <paramref name="host"/> must move to another one (the host is lost, removed or draining,
    /// or no longer matches <paramref name="placement"/>), or null when it stays.
    /// </summary>
    Task<string?> WhyMoveAsync(string host, PlacementSpec placement, CancellationToken ct);

    /// <summary>
    /// Why the load balancer <paramref name="physicalName"/> cannot listen on <paramref name="port"/> of its host: a
    /// server or another load balancer there holds that port (its port was changed to one in use there); null when none does.
    /// </summary>
    string? WhyPortTaken(string host, int port, string physicalName) => null;
}

/// <summary>The control plane's machine alone: no host can take a load balancer.</summary>
internal sealed class NoLoadBalancerHosts : ILoadBalancerHosts
{
    private const string None = "no capacity: no hosts are registered (strata host add); without placement the load balancer runs on the control plane's machine";

    public Task<(LoadBalancerHost? Host, string? Shortage)> PlaceAsync(string deployment, LoadBalancerSpec spec, string physicalName, CancellationToken ct) =>
        Task.FromResult<(LoadBalancerHost?, string?)>((null, None));

    public Task<(LoadBalancerHost? Host, string? Shortage)> PlaceScratchAsync(string deployment, string name, Providers.PlacementRules rules, CancellationToken ct) =>
        Task.FromResult<(LoadBalancerHost?, string?)>((null, None));

    public Task<Planning.PlannedHost?> PreviewAsync(string deployment, LoadBalancerSpec spec, IReadOnlyCollection<string> kept, CancellationToken ct) =>
        Task.FromResult<Planning.PlannedHost?>(null);

    public void Release(string physicalName)
    {
    }

    public ILoadBalancerDriver? DriverOn(string host, string driver, out string? why)
    {
        why = $"host {host} is not registered";
        return null;
    }

    public Task<string?> WhyMoveAsync(string host, PlacementSpec placement, CancellationToken ct) => Task.FromResult<string?>($"host {host} is not registered");
}
