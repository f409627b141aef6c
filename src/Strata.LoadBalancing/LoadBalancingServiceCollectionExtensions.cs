using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.LoadBalancing;
using Strata.LoadBalancing.BuiltIn;
using Strata.LoadBalancing.HaProxy;

namespace Microsoft.Extensions.DependencyInjection;

public static class LoadBalancingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the built-in proxy driver (<c>builtin</c>) and the <see cref="ILoadBalancerDriverRegistry"/>.
    /// <see cref="BuiltInLoadBalancerOptions.RootPath"/> and <see cref="BuiltInLoadBalancerOptions.ProxyCommand"/> must be set.
    /// </summary>
    public static IServiceCollection AddBuiltInLoadBalancer(this IServiceCollection services, Action<BuiltInLoadBalancerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<BuiltInLoadBalancerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BuiltInLoadBalancerOptions>, BuiltInLoadBalancerOptionsValidator>());
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoadBalancerDriver, BuiltInLoadBalancerDriver>());
        services.TryAddSingleton<ILoadBalancerDriverRegistry, LoadBalancerDriverRegistry>();
        return services;
    }

    /// <summary>
    /// Registers the HAProxy driver (<c>haproxy</c>) and the <see cref="ILoadBalancerDriverRegistry"/>.
    /// <see cref="HaProxyLoadBalancerOptions.RootPath"/> must be set; haproxy 2.6 or later must be installed
    /// (<c>apt-get install haproxy</c>), otherwise load balancers come back Failed saying so.
    /// </summary>
    public static IServiceCollection AddHaProxyLoadBalancer(this IServiceCollection services, Action<HaProxyLoadBalancerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<HaProxyLoadBalancerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HaProxyLoadBalancerOptions>, HaProxyLoadBalancerOptionsValidator>());
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoadBalancerDriver, HaProxyLoadBalancerDriver>());
        services.TryAddSingleton<ILoadBalancerDriverRegistry, LoadBalancerDriverRegistry>();
        return services;
    }
}
