using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Strata.LoadBalancing.Pinning;

namespace Strata.LoadBalancing.Proxy.Forwarding;

/// <summary>A request's pin: absent, present but not valid (forged, malformed, expired), or a valid claim.</summary>
internal readonly record struct PinRead(bool Present, PinClaim? Claim);

/// <summary>
/// Reads the signed pin of a request from the <c>X-Strata-Server</c> header, or else from the cookie of that name,
/// and checks it against the load balancer's key. The forwarder strips both before the request reaches a member.
/// </summary>
internal sealed class PinReader(string? key, TimeProvider timeProvider)
{
    public PinRead Read(HttpContext context)
    {
        string? value = null;
        if (context.Request.Headers.TryGetValue(ServerPin.Header, out var header))
        {
            value = header.ToString();
        }
        else if (context.Request.Headers.Cookie.Count > 0 && context.Request.Cookies.TryGetValue(ServerPin.Header, out var cookie))
        {
            value = cookie;
        }

        return value is null ? default : new PinRead(true, ServerPin.Verify(key, value, timeProvider.GetUtcNow()));
    }

    /// <summary>The <c>Cookie</c> header without the pin cookie; null when nothing is left of it.</summary>
    public static string? CookieWithoutPin(StringValues cookies)
    {
        var kept = new List<string>();
        foreach (var header in cookies)
        {
            foreach (var part in (header ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var name = part.AsSpan(0, part.IndexOf('=') is >= 0 and var at ? at : part.Length).Trim();
                if (!name.Equals(ServerPin.Header, StringComparison.OrdinalIgnoreCase))
                {
                    kept.Add(part);
                }
            }
        }

        return kept.Count == 0 ? null : string.Join("; ", kept);
    }

    /// <summary>True when some cookie in <paramref name="cookies"/> may be the pin, so the header needs rewriting.</summary>
    public static bool MayCarryPin(StringValues cookies)
    {
        foreach (var header in cookies)
        {
            if (header is not null && header.Contains(ServerPin.Header, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
