using System.Security.Cryptography;

namespace Strata.Backups;

/// <summary>Checks the names that become parts of object keys, and makes backup ids.</summary>
internal static class BackupNames
{
    public static void Validate(string value, string what)
    {
        if (string.IsNullOrWhiteSpace(value) || value is "." or ".." || value.IndexOfAny(['/', '\\', '\0']) >= 0)
        {
            throw new ArgumentException($"invalid {what} '{value}': it must be a non-empty name without '/', '\\' or NUL", what);
        }
    }

    /// <summary>An id that sorts by creation time and is unique across servers: <c>20260101T000000Z-1a2b3c4d</c>.</summary>
    public static string NewId(DateTimeOffset now) =>
        $"{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>When a backup was made, to the second, read from its id.</summary>
    public static DateTimeOffset CreatedOf(string id) => DateTimeOffset.ParseExact(
        id[..16], "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);

    public static bool IsId(string id) =>
        id.Length == 25 && id[8] == 'T' && id[15] == 'Z' && id[16] == '-' && id.All(c => char.IsAsciiDigit(c) || char.IsAsciiHexDigitLower(c) || c is 'T' or 'Z' or '-');
}
