namespace Strata.Providers.Hosts.Fleet;

/// <summary>
/// What the control plane still runs on a host, asked each time the host's agent connects: the agent stops every other
/// server before any of its servers is listed or used. A host that was lost has had its servers replaced elsewhere;
/// those must not serve or write again when it comes back.
/// </summary>
public interface IHostFencing
{
    /// <summary>
    /// The ids of the servers the control plane still runs on the host, whose servers get <paramref name="address"/>;
    /// null to keep every server the agent has.
    /// </summary>
    Task<IReadOnlySet<string>?> OwnedOnAsync(string host, string address, CancellationToken ct);

    /// <summary>The agent of <paramref name="host"/> stopped these servers, which the control plane no longer ran there.</summary>
    Task FencedAsync(string host, IReadOnlyList<ServerInstance> stopped, CancellationToken ct);

    /// <summary>The physical names of the load balancers the control plane runs on the host; null to keep every one.</summary>
    Task<IReadOnlySet<string>?> LoadBalancersOwnedOnAsync(string host, CancellationToken ct) => Task.FromResult<IReadOnlySet<string>?>(null);

    /// <summary>The agent of <paramref name="host"/> stopped these load balancers, which the control plane no longer ran there.</summary>
    Task LoadBalancersFencedAsync(string host, IReadOnlyList<string> stopped, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>No fencing: a fleet used on its own keeps whatever its agents run.</summary>
internal sealed class KeepEverything : IHostFencing
{
    public Task<IReadOnlySet<string>?> OwnedOnAsync(string host, string address, CancellationToken ct) => Task.FromResult<IReadOnlySet<string>?>(null);

    public Task FencedAsync(string host, IReadOnlyList<ServerInstance> stopped, CancellationToken ct) => Task.CompletedTask;
}
