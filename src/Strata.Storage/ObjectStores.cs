using Strata.Storage.FileSystem;

namespace Strata.Storage;

/// <summary>Creates object stores without a service container, for tools and tests.</summary>
public static class ObjectStores
{
    /// <summary>A store that keeps each object as a file below <see cref="FileSystemObjectStoreOptions.RootPath"/>.</summary>
    public static IObjectStore CreateFileSystem(FileSystemObjectStoreOptions options) => new FileSystemObjectStore(options);

    /// <summary>A factory that creates stores by type name and settings.</summary>
    public static IObjectStoreFactory CreateFactory() => new ObjectStoreFactory();
}
