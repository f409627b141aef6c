using System.Net;
using System.Net.Http.Headers;
using Strata.LoadBalancing.Proxy.Membership;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>
/// The two handlers that reach members: one pools connections, the other opens a connection per request for members
/// that close each connection after one response.
/// </summary>
/// <remarks>
/// An HTTP/1.0 response without <c>Connection: keep-alive</c> ends its connection (RFC 9112 §9.3), but
/// <see cref="SocketsHttpHandler"/> pools that connection anyway and sends a later request on it; when the server's
/// close has not arrived yet the request ends with no response (<see cref="HttpRequestError.ResponseEnded"/>). Against
/// Python's <c>http.server</c> (the hello example's app) that is one request in six with four clients, and the pooled
/// connection is not retried by the handler. Such members are recognised by their first answer and then reached
/// over connections that are never pooled, as HAProxy and browsers treat an HTTP/1.0 server.
/// </remarks>
internal sealed class UpstreamInvokers(HttpMessageInvoker pooled, HttpMessageInvoker unpooled) : IDisposable
{
    public static UpstreamInvokers Create(OpenConnections connections) =>
        new(new HttpMessageInvoker(CreateHandler(connections, pooled: true), disposeHandler: true),
            new HttpMessageInvoker(CreateHandler(connections, pooled: false), disposeHandler: true));

    /// <summary>The handler to send <paramref name="backend"/>'s next request with.</summary>
    public HttpMessageInvoker For(Backend backend) => backend.ClosesConnections ? unpooled : pooled;

    /// <summary>Remembers a member that answered in a way that ends the connection, so no request waits on a dead one.</summary>
    public static void Observe(Backend backend, HttpResponseMessage response)
    {
        if (response.Version == HttpVersion.Version10 && !KeepsAlive(response.Headers) && !backend.ClosesConnections)
        {
            backend.MarkClosesConnections();
        }
    }

    public void Dispose()
    {
        pooled.Dispose();
        unpooled.Dispose();
    }

    private static bool KeepsAlive(HttpResponseHeaders headers) =>
        headers.Connection.Any(token => string.Equals(token, "keep-alive", StringComparison.OrdinalIgnoreCase));

    private static SocketsHttpHandler CreateHandler(OpenConnections connections, bool pooled) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        // A lifetime of zero closes each connection once its response is read instead of returning it to the pool.
        PooledConnectionLifetime = pooled ? Timeout.InfiniteTimeSpan : TimeSpan.Zero,
        // The connect callback applies the load balancer's connect timeout itself, so that a timeout reads as a failed connect.
        ConnectCallback = connections.ConnectAsync,
        // gRPC streams are long-lived: more than 100 of them to one member (its usual stream limit) open another connection.
        EnableMultipleHttp2Connections = true,
        // No tracing headers on the hot path: the proxy forwards what the client sent and nothing else.
        ActivityHeadersPropagator = null,
    };
}
