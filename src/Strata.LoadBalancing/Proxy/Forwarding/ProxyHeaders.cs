using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>The <c>X-Forwarded-*</c> headers the proxy sets and the sticky cookie it hands out.</summary>
/// <remarks>Hop-by-hop headers (RFC 9110 §7.6.1) are left out by YARP's forwarder, in both directions.</remarks>
internal static class ProxyHeaders
{
    public const string ForwardedFor = "X-Forwarded-For";
    public const string ForwardedProto = "X-Forwarded-Proto";
    public const string ForwardedHost = "X-Forwarded-Host";

    /// <summary>The sticky-session cookie; its value is the member's name.</summary>
    public const string StickyCookie = "STRATA_STICKY";

    private static readonly object s_clientAddressKey = new();

    /// <summary>
    /// The client's address as text, formatted once per connection rather than per request: a keep-alive connection
    /// carries thousands of requests from the same address. It replaces any <c>X-Forwarded-For</c> the client sent:
    /// nothing in front of a Strata load balancer is trusted to have written one.
    /// </summary>
    public static string ClientAddress(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is not null && items.TryGetValue(s_clientAddressKey, out var cached) && cached is string text)
        {
            return text;
        }

        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (items is not null)
        {
            items[s_clientAddressKey] = client;
        }

        return client;
    }
}
