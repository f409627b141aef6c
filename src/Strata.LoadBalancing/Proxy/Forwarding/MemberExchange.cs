using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Strata.LoadBalancing.Pinning;
using Strata.LoadBalancing.Proxy.Membership;
using Yarp.ReverseProxy.Forwarder;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>
/// One attempt to forward a request to one member, as the transformer YARP's forwarder calls: it rewrites the request
/// for the member (forwarding headers, no pin, the target as the client sent it) and reads the answer (status for
/// passive health, whether the member closes its connections, the sticky cookie). It also holds the response-header
/// deadline, which ends once headers arrive: a long download or a WebSocket is bound by the idle timeout instead.
/// </summary>
internal sealed class MemberExchange : HttpTransformer, IDisposable
{
    private readonly Backend _backend;
    private readonly bool _setCookie;
    private readonly CancellationTokenSource _headersDue;

    public MemberExchange(Backend backend, bool setCookie, TimeSpan responseHeaderTimeout, TimeProvider timeProvider)
    {
        _backend = backend;
        _setCookie = setCookie;
        _headersDue = new CancellationTokenSource(responseHeaderTimeout, timeProvider);
    }

    /// <summary>Cancelled when the member sends no response headers within the response-header timeout.</summary>
    public CancellationToken HeadersDue => _headersDue.Token;

    /// <summary>The member's status code once its response headers arrived; null until then.</summary>
    public int? Status { get; private set; }

    /// <summary>True when the attempt ended because the member sent no response headers in time.</summary>
    public bool HeadersTimedOut => Status is null && _headersDue.IsCancellationRequested;

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        var incoming = httpContext.Request;
        var headers = proxyRequest.Headers;
        // The member sees its own address as Host, as it would when called directly; the client's goes in X-Forwarded-Host.
        headers.Remove(HeaderNames.Host);
        // The pin is for the load balancer; a server (or whoever reads its logs) must not be able to replay it.
        headers.Remove(ServerPin.Header);
        if (PinReader.MayCarryPin(incoming.Headers.Cookie))
        {
            headers.Remove(HeaderNames.Cookie);
            if (PinReader.CookieWithoutPin(incoming.Headers.Cookie) is { } rest)
            {
                headers.TryAddWithoutValidation(HeaderNames.Cookie, rest);
            }
        }

        headers.Remove(ProxyHeaders.ForwardedFor);
        headers.Remove(ProxyHeaders.ForwardedProto);
        headers.Remove(ProxyHeaders.ForwardedHost);
        headers.TryAddWithoutValidation(ProxyHeaders.ForwardedFor, ProxyHeaders.ClientAddress(httpContext));
        headers.TryAddWithoutValidation(ProxyHeaders.ForwardedProto, incoming.Scheme);
        if (incoming.Host.HasValue)
        {
            headers.TryAddWithoutValidation(ProxyHeaders.ForwardedHost, incoming.Host.Value);
        }

        proxyRequest.RequestUri = new Uri(destinationPrefix + Target(httpContext), UriKind.Absolute);
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is null)
        {
            // No answer: the forwarder reports why, and the caller decides between a retry and an error response.
            return false;
        }

        _headersDue.CancelAfter(Timeout.InfiniteTimeSpan);
        Status = (int)proxyResponse.StatusCode;
        UpstreamInvokers.Observe(_backend, proxyResponse);
        var copy = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        if (_setCookie)
        {
            httpContext.Response.Headers.Append(HeaderNames.SetCookie, httpContext.Request.IsHttps ? _backend.SecureStickyCookie : _backend.StickyCookie);
        }

        return copy;
    }

    public void Dispose() => _headersDue.Dispose();

    /// <summary>The request target as the client sent it, so percent-encoding reaches the member unchanged.</summary>
    private static string Target(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return raw is { Length: > 0 } && raw[0] == '/'
            ? raw
            : (context.Request.PathBase + context.Request.Path).ToUriComponent() + context.Request.QueryString.ToUriComponent();
    }
}
