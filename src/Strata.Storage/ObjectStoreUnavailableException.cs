namespace Strata.Storage;

/// <summary>Thrown when a store could not be reached even after retrying with backoff.</summary>
public sealed class ObjectStoreUnavailableException : Exception
{
    public ObjectStoreUnavailableException(string store, string endpoint, string operation, int attempts, Exception inner)
        : base($"the {store} object store at {endpoint} could not be reached for {operation} after {attempts} attempts: {inner.Message}", inner)
    {
        Endpoint = endpoint;
        Attempts = attempts;
    }

    /// <summary>Where the store was expected, e.g. <c>http://127.0.0.1:4568/bucket</c>.</summary>
    public string Endpoint { get; }

    /// <summary>How many attempts were made before giving up.</summary>
    public int Attempts { get; }
}
