using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.Storage.FileSystem;

namespace Strata.Storage;

public static class ObjectStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IObjectStoreFactory"/> and a default <see cref="IObjectStore"/>: the filesystem store,
    /// configured through <see cref="FileSystemObjectStoreOptions"/>. An <see cref="IObjectStore"/> registered
    /// earlier is kept.
    /// </summary>
    public static IServiceCollection AddStrataObjectStores(
        this IServiceCollection services, Action<FileSystemObjectStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<FileSystemObjectStoreOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<IObjectStoreFactory, ObjectStoreFactory>();
        services.TryAddSingleton<IObjectStore>(sp =>
            new FileSystemObjectStore(sp.GetRequiredService<IOptions<FileSystemObjectStoreOptions>>().Value));
        return services;
    }
}
