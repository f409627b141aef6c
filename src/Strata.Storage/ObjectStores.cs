using Microsoft.Extensions.Logging;
using Strata.Storage.FileSystem;
using Strata.Storage.S3;

namespace Strata.Storage;

/// <summary>Creates object stores without a service container, for tools and tests.</summary>
public static class ObjectStores
{
    /// <summary>A store that keeps each object as a file below <see cref="FileSystemObjectStoreOptions.RootPath"/>.</summary>
    public static IObjectStore CreateFileSystem(FileSystemObjectStoreOptions options) => new FileSystemObjectStore(options);

    /// <summary>A store in a bucket of an S3-compatible server; see <see cref="S3ObjectStoreOptions"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static IObjectStore CreateS3(S3ObjectStoreOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null) =>
        new S3ObjectStore(options, loggerFactory?.CreateLogger<S3ObjectStore>(), timeProvider);

    /// <summary>A factory that creates stores by type name and settings.</summary>
    public static IObjectStoreFactory CreateFactory() => new ObjectStoreFactory();
}
