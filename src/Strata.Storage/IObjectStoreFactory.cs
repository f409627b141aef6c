namespace Strata.Storage;

/// <summary>Creates object stores by type name and settings, as a spec's <c>storage</c> section names them.</summary>
public interface IObjectStoreFactory
{
    /// <summary>The store types this factory knows, e.g. <c>filesystem</c>.</summary>
    IReadOnlyList<string> KnownTypes { get; }

    /// <summary>
    /// Creates a store. For <c>filesystem</c> the settings are <c>root</c> (required: the folder that holds the objects).
    /// For <c>s3</c> they are <c>endpoint</c>, <c>bucket</c>, <c>accessKey</c>, <c>secretKey</c> (required),
    /// <c>region</c> (default <c>us-east-1</c>) and <c>prefix</c> (default empty).
    /// </summary>
    /// <exception cref="ArgumentException">The type is unknown or a setting is missing or invalid; the message names them.</exception>
    IObjectStore Create(string type, IReadOnlyDictionary<string, string> settings);
}
