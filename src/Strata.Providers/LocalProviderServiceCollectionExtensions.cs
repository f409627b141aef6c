using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Strata.Providers.Local;
using Strata.Storage;

namespace Strata.Providers;

public static class LocalProviderServiceCollectionExtensions
{
    /// <summary>
    /// Registers the local provider as an <see cref="ICloudProvider"/> named <c>local</c>. Images are kept in the
    /// registered <see cref="IObjectStore"/> (the filesystem store unless another was registered first).
    /// </summary>
    public static IServiceCollection AddLocalProvider(this IServiceCollection services, Action<LocalProviderOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddLogging();
        services.AddStrataObjectStores();
        services.AddOptions<LocalProviderOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICloudProvider, LocalProvider>());
        return services;
    }
}

/// <summary>Creates the local provider without a service container, for tools and tests.</summary>
public static class LocalProviderFactory
{
    /// <summary>
    /// Creates a local provider. It holds handles on the processes it starts: dispose it (it is <see cref="IDisposable"/>)
    /// when done; disposing does not stop servers.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static ICloudProvider Create(LocalProviderOptions options, IObjectStore imageStore, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(imageStore);
        return new LocalProvider(
            Options.Create(options), imageStore, time ?? TimeProvider.System,
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<LocalProvider>());
    }
}
