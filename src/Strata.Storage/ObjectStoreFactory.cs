using Microsoft.Extensions.Logging;
using Strata.Storage.FileSystem;
using Strata.Storage.S3;

namespace Strata.Storage;

/// <summary>
/// Creates object stores by type name. New store types are added to <see cref="_creators"/>. Stores log through
/// <paramref name="loggerFactory"/> (an S3 store's retries, for one), where one is given.
/// </summary>
internal sealed class ObjectStoreFactory(ILoggerFactory? loggerFactory = null) : IObjectStoreFactory
{
    private readonly Dictionary<string, Func<IReadOnlyDictionary<string, string>, IObjectStore>> _creators =
        new(StringComparer.Ordinal)
        {
            [FileSystemObjectStore.TypeName] = CreateFileSystem,
            [S3ObjectStore.TypeName] = settings => CreateS3(settings, loggerFactory),
        };

    public IReadOnlyList<string> KnownTypes => [.. _creators.Keys.Order(StringComparer.Ordinal)];

    public IObjectStore Create(string type, IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(settings);
        if (!_creators.TryGetValue(type, out var create))
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
