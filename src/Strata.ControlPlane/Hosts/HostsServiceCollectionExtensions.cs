using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Strata.ControlPlane.Hosting;
using Strata.Providers.Hosts.Fleet;

namespace Strata.ControlPlane.Hosts;

public static class HostsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the fleet of hosts reached over SSH: its inventory in the state database, its known_hosts file in the
    /// home folder, the API's <see cref="HostService"/>, and the monitor that reconnects and records host states.
    /// </summary>
    public static IServiceCollection AddStrataHosts(this IServiceCollection services, StrataPaths paths)
    {
        services.AddOptions<HostsOptions>()
            .Configure(o => o.KnownHostsPath = paths.KnownHostsFile)
            .Validate(o => o.Validate().Count == 0, "invalid hosts options");
        services.TryAddSingleton<IHostInventory, SqliteHostInventory>();
        services.TryAddSingleton<HostFleet>();
        services.TryAddSingleton<HostService>();
        services.AddHostedService<HostMonitor>();
        return services;
    }
}
