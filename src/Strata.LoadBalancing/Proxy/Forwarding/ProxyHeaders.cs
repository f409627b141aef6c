using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>Which headers cross the proxy, and the <c>X-Forwarded-*</c> ones it adds.</summary>
internal static class ProxyHeaders
{
    public const string ForwardedFor = "X-Forwarded-For";
    public const string ForwardedProto = "X-Forwarded-Proto";
    public const string ForwardedHost = "X-Forwarded-Host";

    /// <summary>The sticky-session cookie; its value is the member's name.</summary>
    public const string StickyCookie = "STRATA_STICKY";

    private static readonly object s_clientAddressKey = new();

    /// <summary>Headers about one connection (RFC 9110 7.6.1), never forwarded.</summary>
    public static bool IsHopByHop(string name) => name.Length switch
    {
        2 => name.Equals("TE", StringComparison.OrdinalIgnoreCase),
        7 => name.Equals("Trailer", StringComparison.OrdinalIgnoreCase) || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase),
        10 => name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase),
        16 => name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase),
        17 => name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase),
        18 => name.Equals("Proxy-Authenticate", StringComparison.OrdinalIgnoreCase),
        19 => name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>Request headers the proxy sets itself, or drops, instead of copying.</summary>
    public static bool IsReplacedOnRequest(string name) => name.Length switch
    {
        4 => name.Equals("Host", StringComparison.OrdinalIgnoreCase),
        // The pin is for the load balancer only: a server must not see (and so cannot leak) a replayable pin.
        15 when name.Equals(Pinning.ServerPin.Header, StringComparison.OrdinalIgnoreCase) => true,
        15 => name.Equals(ForwardedFor, StringComparison.OrdinalIgnoreCase),
        16 => name.Equals(ForwardedHost, StringComparison.OrdinalIgnoreCase),
        17 => name.Equals(ForwardedProto, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>True when the <c>Connection</c> header names <paramref name="name"/> as hop-by-hop for this message.</summary>
    public static bool IsListedInConnection(StringValues connection, string name)
    {
        foreach (var value in connection)
        {
            foreach (var range in value.AsSpan().Split(','))
            {
                if (value.AsSpan()[range].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

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
