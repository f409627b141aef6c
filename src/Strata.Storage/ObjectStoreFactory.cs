using Strata.Storage.FileSystem;

namespace Strata.Storage;

/// <summary>Creates object stores by type name. New store types (such as <c>s3</c>) are added to <see cref="s_creators"/>.</summary>
internal sealed class ObjectStoreFactory : IObjectStoreFactory
{
    private static readonly Dictionary<string, Func<IReadOnlyDictionary<string, string>, IObjectStore>> s_creators =
        new(StringComparer.Ordinal)
        {
            [FileSystemObjectStore.TypeName] = CreateFileSystem,
            // "s3" is registered here once the S3 store exists.
        };

    public IReadOnlyList<string> KnownTypes { get; } = [.. s_creators.Keys.Order(StringComparer.Ordinal)];

    public IObjectStore Create(string type, IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(settings);
        if (!s_creators.TryGetValue(type, out var create))
        {
            throw new ArgumentException($"unknown store type '{type}'; known: {string.Join(", ", KnownTypes)}", nameof(type));
        }

        return create(settings);
    }

    private static IObjectStore CreateFileSystem(IReadOnlyDictionary<string, string> settings)
    {
        if (!settings.TryGetValue("root", out var root) || string.IsNullOrWhiteSpace(root))
        {
            throw new ArgumentException("the filesystem object store needs the setting 'root' (the folder that holds the objects)", nameof(settings));
        }

        return new FileSystemObjectStore(new FileSystemObjectStoreOptions { RootPath = root });
    }
}
