using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;

namespace Strata.ControlPlane.Hosts;

public static class HostsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the fleet of hosts reached over SSH: its inventory in the state database, its known_hosts file in the
    /// home folder, the API's <see cref="HostService"/>, and the monitor that reconnects and records host states.
    /// </summary>
    /// <param name="services">Where to register.</param>
    /// <param name="paths">The home folder, where the known_hosts file is.</param>
    /// <param name="configure">Sets the operator's host timings (<see cref="ControlPlaneOptions.HostTimeout"/>, <see cref="ControlPlaneOptions.HostLostAfter"/>).</param>
    public static IServiceCollection AddStrataHosts(this IServiceCollection services, StrataPaths paths, Action<HostsOptions>? configure = null)
    {
        services.AddOptions<HostsOptions>()
            .Configure(o =>
            {
                o.KnownHostsPath = paths.KnownHostsFile;
                configure?.Invoke(o);
            })
            .Validate(o => o.Validate().Count == 0, "invalid hosts options");
        services.TryAddSingleton<IHostInventory, SqliteHostInventory>();
        services.TryAddSingleton<IHostFencing, StateFencing>();
        services.TryAddSingleton<HostFleet>();
        services.TryAddSingleton<HostDrains>();
        services.TryAddSingleton<HostService>();
        services.AddHostedService<HostMonitor>();
        services.TryAddSingleton<IdleVolumeMoves>();
        services.AddHostedService(sp => sp.GetRequiredService<IdleVolumeMoves>());
        AddFleetProvider(services);
        return services;
    }

    /// <summary>
    /// Wraps the provider registered last (the local one, unless another was registered before) in the
    /// <see cref="FleetProvider"/>, which places servers on hosts once any are registered, and has tiers ask it for capacity and load balancers whether a server's host is reachable.
    /// </summary>
    private static void AddFleetProvider(IServiceCollection services)
    {
        if (services.LastOrDefault(d => d.ServiceType == typeof(ICloudProvider)) is not { } embedded)
        {
            return;
        }

        services.Remove(embedded);
        services.AddSingleton(sp =>
        {
            var provider = new FleetProvider(
                Create(sp, embedded), sp.GetRequiredService<HostFleet>(), sp.GetRequiredService<IHostInventory>(), sp.GetRequiredService<EventLog>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<ControlPlaneOptions>>().Value.Paths.Root);
            var deployments = sp.GetRequiredService<DeploymentRegistry>();
            provider.ReadLoadBalancersFrom(() => deployments.LoadBalancersOnHosts()
                .Where(l => FleetProvider.PortOf(l.State.Listen) is not null)
                .Select(l => new RecordedLoadBalancer(l.Deployment, l.State.LogicalName, l.State.PhysicalName, l.State.Host!, FleetProvider.PortOf(l.State.Listen)!.Value)));
            return provider;
        });
        services.AddSingleton<ICloudProvider>(sp => sp.GetRequiredService<FleetProvider>());
        services.Replace(ServiceDescriptor.Singleton<ITierCapacity>(sp => sp.GetRequiredService<FleetProvider>()));
        services.Replace(ServiceDescriptor.Singleton<IServerReach>(sp => sp.GetRequiredService<FleetProvider>()));
        services.Replace(ServiceDescriptor.Singleton<IServerShell>(sp => sp.GetRequiredService<FleetProvider>()));
        services.Replace(ServiceDescriptor.Singleton<ILoadBalancerHosts>(sp => sp.GetRequiredService<FleetProvider>()));
        services.Replace(ServiceDescriptor.Singleton<IHostedProbes>(sp =>
        {
            var provider = sp.GetRequiredService<FleetProvider>();
            return new AgentProbes(sp.GetRequiredService<HostFleet>(), provider.HostOf, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AgentProbes>>());
        }));
    }

    private static ICloudProvider Create(IServiceProvider services, ServiceDescriptor descriptor) => descriptor switch
    {
        { ImplementationInstance: ICloudProvider instance } => instance,
        { ImplementationFactory: { } factory } => (ICloudProvider)factory(services),
        { ImplementationType: { } type } => (ICloudProvider)ActivatorUtilities.CreateInstance(services, type),
        _ => throw new InvalidOperationException("the registered cloud provider has no implementation"),
    };
}
