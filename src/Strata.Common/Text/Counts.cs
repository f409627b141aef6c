namespace Strata.Common.Text;

/// <summary>A count with its noun, as messages show it: <c>1 server</c>, <c>3 volumes</c>, <c>0 servers</c>.</summary>
public static class Counts
{
    /// <summary>The count and the noun, with an <c>s</c> unless the count is one (the nouns Strata counts take one).</summary>
    public static string Of(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
