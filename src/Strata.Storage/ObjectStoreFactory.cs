using Microsoft.Extensions.Logging;
using Strata.Storage.FileSystem;
using Strata.Storage.S3;

namespace Strata.Storage;

/// <summary>
/// Creates object stores by type name. New store types are added to <see cref="s_creators"/>. Stores log through
/// <paramref name="loggerFactory"/> (an S3 store's retries, for one), where one is given.
/// </summary>
internal sealed class ObjectStoreFactory(ILoggerFactory? loggerFactory = null) : IObjectStoreFactory
{
    private static readonly Dictionary<string, Func<IReadOnlyDictionary<string, string>, ILoggerFactory?, IObjectStore>> s_creators =
        new(StringComparer.Ordinal)
        {
            [FileSystemObjectStore.TypeName] = (settings, _) => CreateFileSystem(settings),
            [S3ObjectStore.TypeName] = CreateS3,
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

        return create(settings, loggerFactory);
    }

    private static IObjectStore CreateFileSystem(IReadOnlyDictionary<string, string> settings)
    {
        if (!settings.TryGetValue("root", out var root) || string.IsNullOrWhiteSpace(root))
        {
            throw new ArgumentException("the filesystem object store needs the setting 'root' (the folder that holds the objects)", nameof(settings));
        }

        return new FileSystemObjectStore(new FileSystemObjectStoreOptions { RootPath = root });
    }

    private static IObjectStore CreateS3(IReadOnlyDictionary<string, string> settings, ILoggerFactory? loggerFactory)
    {
        var options = new S3ObjectStoreOptions
        {
            ServiceUrl = settings.GetValueOrDefault("endpoint", ""),
            Region = settings.GetValueOrDefault("region") is { Length: > 0 } region ? region : "us-east-1",
            Bucket = settings.GetValueOrDefault("bucket", ""),
            Prefix = settings.GetValueOrDefault("prefix", ""),
            AccessKey = settings.GetValueOrDefault("accessKey", ""),
            SecretKey = settings.GetValueOrDefault("secretKey", ""),
        };
        if (options.Validate() is { Count: > 0 } problems)
        {
            throw new ArgumentException($"invalid s3 object store settings: {string.Join("; ", problems)}", nameof(settings));
        }

        return new S3ObjectStore(options, loggerFactory?.CreateLogger<S3ObjectStore>());
    }
}
