namespace Strata.LoadBalancing;

/// <summary>How a load balancer speaks to its members.</summary>
public enum BackendProtocol
{
    /// <summary>HTTP/1.1 (WebSockets by <c>Upgrade</c>); whatever clients speak to the load balancer.</summary>
    Http1,

    /// <summary>
    /// HTTP/2 over cleartext with prior knowledge (h2c), for servers that only speak HTTP/2, as gRPC servers do.
    /// </summary>
    H2c,
}
