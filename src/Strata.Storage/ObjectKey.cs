namespace Strata.Storage;

/// <summary>Validation of object keys, shared by every store so that all of them accept the same keys.</summary>
public static class ObjectKey
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="key"/> is a relative, <c>/</c>-separated path
    /// without empty, <c>.</c> or <c>..</c> segments and without backslashes or NUL characters.
    /// </summary>
    public static void Validate(string key, string paramName = "key")
    {
        if (Problem(key) is { } problem)
        {
            throw new ArgumentException($"invalid object key '{key}': {problem}", paramName);
        }
    }

    /// <summary>Validates a listing prefix: like a key, but it may be empty and may end with <c>/</c>.</summary>
    public static void ValidatePrefix(string prefix, string paramName = "prefix")
    {
        ArgumentNullException.ThrowIfNull(prefix, paramName);
        if (prefix.Length == 0)
        {
            return;
        }

        var trimmed = prefix.EndsWith('/') ? prefix[..^1] : prefix;
        if (Problem(trimmed) is { } problem)
        {
            throw new ArgumentException($"invalid object key prefix '{prefix}': {problem}", paramName);
        }
    }

    private static string? Problem(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "it is empty";
        }

        if (key.Contains('\\'))
        {
            return "backslashes are not allowed; use '/'";
        }

        if (key.Contains('\0'))
        {
            return "NUL characters are not allowed";
        }

        if (key.StartsWith('/'))
        {
            return "it must be relative";
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return $"segment '{segment}' is not allowed";
            }
        }

        return null;
    }
}
