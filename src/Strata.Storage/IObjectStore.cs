namespace Strata.Storage;

/// <summary>
/// A flat store of immutable objects addressed by <c>/</c>-separated keys such as <c>images/sha256/ab12….tar</c>.
/// Implementations are chosen by <see cref="Name"/> (<c>filesystem</c> and <c>s3</c>).
/// </summary>
public interface IObjectStore
{
    /// <summary>The store type, as written in the spec and accepted by <see cref="IObjectStoreFactory.Create"/>.</summary>
    string Name { get; }

    /// <summary>Writes an object, replacing any previous one. Readers see either the old or the new object, never a partial one.</summary>
    /// <exception cref="ArgumentException">The key is empty, absolute, or contains <c>..</c>, <c>\</c> or empty segments.</exception>
    Task PutAsync(string key, Stream content, CancellationToken ct);

    /// <summary>Opens an object for reading. The caller disposes the stream.</summary>
    /// <exception cref="ObjectNotFoundException">No object has this key.</exception>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>
    /// Opens an object whose every byte the caller checks itself, as a backup chunk is checked against its keyed hash
    /// or its seal: the store may leave out a check of its own on the way. Otherwise as <see cref="OpenReadAsync"/>.
    /// </summary>
    /// <exception cref="ObjectNotFoundException">No object has this key.</exception>
    Task<Stream> OpenReadCheckedByCallerAsync(string key, CancellationToken ct) => OpenReadAsync(key, ct);

    Task<bool> ExistsAsync(string key, CancellationToken ct);

    /// <summary>Lists the objects whose key starts with <paramref name="prefix"/> (empty for all), sorted by key (ordinal).</summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken ct);

    /// <summary>Deletes an object. Deleting a key that does not exist is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken ct);
}

/// <summary>What a listing says about one object.</summary>
/// <param name="Key">The object's key.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="LastModified">When it was last written.</param>
public sealed record ObjectInfo(string Key, long Size, DateTimeOffset LastModified);

/// <summary>Thrown when an object that must exist does not.</summary>
public sealed class ObjectNotFoundException : Exception
{
    public ObjectNotFoundException(string store, string key)
        : base($"object '{key}' was not found in the {store} object store")
    {
        Key = key;
    }

    /// <summary>The key that was asked for.</summary>
    public string Key { get; }
}
