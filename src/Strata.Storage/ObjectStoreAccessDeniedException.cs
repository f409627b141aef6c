namespace Strata.Storage;

/// <summary>
/// Thrown when a store refused a request for its credentials or permissions (HTTP 401 or 403). Not retried: the
/// same credentials are refused again.
/// </summary>
public sealed class ObjectStoreAccessDeniedException : Exception
{
    public ObjectStoreAccessDeniedException(string store, string endpoint, string operation, string reason, Exception inner)
        : base($"the {store} object store at {endpoint} refused {operation} ({reason}): check the store's access key, " +
            "secret key and the bucket's permissions", inner)
    {
        Endpoint = endpoint;
        Reason = reason;
    }

    /// <summary>Where the store is, e.g. <c>http://127.0.0.1:4568/bucket</c>.</summary>
    public string Endpoint { get; }

    /// <summary>The store's own error code, e.g. <c>SignatureDoesNotMatch</c> or <c>AccessDenied</c>.</summary>
    public string Reason { get; }
}
