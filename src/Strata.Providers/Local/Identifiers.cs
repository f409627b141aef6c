using System.Text.RegularExpressions;

namespace Strata.Providers.Local;

/// <summary>Server and volume ids become folder names and process markers, so they are restricted to DNS labels.</summary>
internal static partial class Identifiers
{
    public static void Validate(string? id, string what)
    {
        if (id is null || !Label().IsMatch(id))
        {
            throw new ArgumentException($"{what} '{id}' is invalid: use 1 to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit");
        }
    }

    /// <summary>Checks a volume mount path: relative, '/'-separated, no '.' or '..' segments.</summary>
    public static void ValidateMountPath(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.StartsWith('/') || path.Contains('\\') || path.Contains('\0')
            || path.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            throw new ArgumentException($"mount path '{path}' is invalid: use a relative path inside the server's root, such as 'data' or 'var/lib/db'");
        }
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex Label();
}
