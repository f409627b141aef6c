using System.Security.Cryptography;
using System.Text;

namespace Strata.ControlPlane.Access;

/// <summary>
/// A token as the state store keeps it: its name, role and the SHA-256 of its secret. The secret itself is shown once,
/// when the token is created, and never stored.
/// </summary>
public sealed record ApiToken
{
    /// <summary>The name of the token the CLI presents, created with the home folder; it is an admin.</summary>
    public const string CliTokenName = "cli";

    public required string Name { get; init; }

    public required TokenRole Role { get; init; }

    /// <summary>Lowercase hex SHA-256 of the secret.</summary>
    public required string Hash { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the token stops being accepted; null for never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;
}

/// <summary>Token secrets: 32 random bytes, written with a prefix that makes a leaked one easy to recognise.</summary>
public static class TokenSecrets
{
    public const string Prefix = "strata_";

    public static string Generate() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Token names are written in commands and audit lines: letters, digits, '.', '_' and '-', 1 to 64 of them.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
