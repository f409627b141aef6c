using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.LoadBalancing;
using Strata.LoadBalancing.BuiltIn;

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
}
