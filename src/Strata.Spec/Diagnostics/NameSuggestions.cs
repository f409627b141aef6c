namespace Strata.Spec.Diagnostics;

/// <summary>Finds the known name closest to a misspelt one, for "did you mean …" hints.</summary>
internal static class NameSuggestions
{
    /// <summary>The nearest candidate by edit distance, or null when none is close enough to be a likely typo.</summary>
    public static string? Nearest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        // More than about a third of the letters wrong is a different word, not a typo.
        var limit = Math.Max(2, name.Length / 3);
        return bestDistance <= limit ? best : null;
    }

    /// <summary>"did you mean 'x'?" when a candidate is close, otherwise the list of known names (or null if none).</summary>
    public static string? Hint(string name, IReadOnlyCollection<string> candidates, string kind)
    {
        if (Nearest(name, candidates) is { } nearest)
        {
            return $"did you mean '{nearest}'?";
        }

        if (candidates.Count == 0)
        {
            return $"no {kind} is declared";
        }

        var shown = candidates.Take(12).Select(c => $"'{c}'");
        return $"known {kind}s: {string.Join(", ", shown)}{(candidates.Count > 12 ? ", …" : "")}";
    }

    public static int Distance(string a, string b)
    {
        if (a.Length == 0)
        {
            return b.Length;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
