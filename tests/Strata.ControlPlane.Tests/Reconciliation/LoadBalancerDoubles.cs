using Microsoft.Extensions.DependencyInjection;
using Strata.ControlPlane.Deployments;
using Strata.LoadBalancing;
using Strata.Providers;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

internal static class LoadBalancerDoubles
{
    /// <summary>A control plane whose load balancers are run by <paramref name="driver"/> and whose provider lists every recorded server running.</summary>
    public static ControlPlaneServices Services(ILoadBalancerDriver driver) => new(add: services =>
    {
        services.AddSingleton<ILoadBalancerDriverRegistry>(new OneDriver(driver));
        services.AddSingleton<ICloudProvider>(sp => new RunningServers(sp.GetRequiredService<DeploymentRegistry>()));
    });
}

/// <summary>A registry of one load-balancer driver, whatever name the spec gives.</summary>
internal sealed class OneDriver(ILoadBalancerDriver driver) : ILoadBalancerDriverRegistry
{
    public IReadOnlyList<string> Names => [driver.Name];

    public ILoadBalancerDriver Get(string name) => driver;
}

/// <summary>A provider that lists every recorded server of <c>shop</c> as running; nothing else is used.</summary>
internal sealed class RunningServers(DeploymentRegistry registry) : PartialProvider
{
    public override string Name => "running";

    public override Task<IReadOnlyList<ServerInstance>> ListServersAsync(string? deployment, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ServerInstance>>([.. (registry.Find("shop")?.State.Tiers ?? []).SelectMany(t => t.Servers)
            .Select(s => AppliedDeployments.RunningInstance(s, DateTimeOffset.UnixEpoch, "/nonexistent"))]);

    public override Task<ServerInstance?> DescribeServerAsync(string serverId, CancellationToken ct) => Task.FromResult<ServerInstance?>(null);
}
