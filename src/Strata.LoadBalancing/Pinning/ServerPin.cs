using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Strata.LoadBalancing.Pinning;

/// <summary>What a valid pin grants: requests go to <see cref="Server"/>, out of rotation only with <see cref="AnyState"/>.</summary>
public sealed record PinClaim(string Server, DateTimeOffset ExpiresAt, bool AnyState);

/// <summary>
/// Signed QA pins, sent in the <c>X-Strata-Server</c> header or cookie. A pin is
/// <c>SERVER.EXPIRES.SCOPE.MAC</c>: the server name, the expiry in Unix seconds, <c>r</c> (servers in rotation) or
/// <c>a</c> (any server the load balancer knows) and the lowercase hex HMAC-SHA256 of the first three fields under the
/// load balancer's pin key. Both drivers check exactly this format (HAProxy with its <c>hmac</c> converter), so a
/// pin is a privilege granted through the control plane rather than a header anyone can send.
/// </summary>
public static class ServerPin
{
    /// <summary>The header (and cookie) name that carries a pin.</summary>
    public const string Header = "X-Strata-Server";

    /// <summary>The pin key's length in bytes.</summary>
    public const int KeyBytes = 32;

    /// <summary>A new random pin key, base64-encoded as it is stored and as HAProxy takes it.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes));

    /// <summary>True when <paramref name="key"/> is a base64 key of <see cref="KeyBytes"/> bytes.</summary>
    public static bool IsValidKey(string? key)
    {
        Span<byte> bytes = stackalloc byte[KeyBytes + 3];
        return key is not null && Convert.TryFromBase64String(key, bytes, out var written) && written == KeyBytes;
    }

    /// <summary>Server names a pin can carry: the characters of physical names, no dots.</summary>
    public static bool IsPinnableName(string server) =>
        server.Length is > 0 and <= 63 && server.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static string Sign(string key, PinClaim claim)
    {
        if (!IsPinnableName(claim.Server))
        {
            throw new ArgumentException($"server name '{claim.Server}' cannot be pinned: only letters, digits, '-' and '_' are allowed", nameof(claim));
        }

        var message = Message(claim.Server, claim.ExpiresAt.ToUnixTimeSeconds(), claim.AnyState);
        return message + "." + Mac(key, message);
    }

    /// <summary>The claim of a valid, unexpired pin, or null for anything else (malformed, forged, expired).</summary>
    public static PinClaim? Verify(string? key, string value, DateTimeOffset now)
    {
        if (key is null || value.Length > 200)
        {
            return null;
        }

        var parts = value.Split('.');
        if (parts.Length != 4 || !IsPinnableName(parts[0]) || parts[2] is not ("r" or "a")
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || parts[1].Length > 12)
        {
            return null;
        }

        var message = Message(parts[0], expires, parts[2] == "a");
        var expected = Encoding.ASCII.GetBytes(Mac(key, message));
        var given = Encoding.ASCII.GetBytes(parts[3]);
        if (!CryptographicOperations.FixedTimeEquals(expected, given) || expires <= now.ToUnixTimeSeconds())
        {
            return null;
        }

        return new PinClaim(parts[0], DateTimeOffset.FromUnixTimeSeconds(expires), parts[2] == "a");
    }

    private static string Message(string server, long expires, bool anyState) =>
        string.Create(CultureInfo.InvariantCulture, $"{server}.{expires}.{(anyState ? "a" : "r")}");

    private static string Mac(string key, string message) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromBase64String(key), Encoding.ASCII.GetBytes(message)));
}
