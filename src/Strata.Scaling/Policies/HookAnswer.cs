using System.Globalization;

namespace Strata.Scaling.Policies;

/// <summary>Reads what a server's scaling hook (e.g. <c>scaleCheck</c>) printed: <c>1</c> add servers, <c>0</c> keep, <c>-1</c> remove.</summary>
public static class HookAnswer
{
    /// <summary>The vote in a hook's output, surrounding whitespace ignored.</summary>
    /// <exception cref="FormatException">The output is anything but 1, 0 or -1.</exception>
    public static int Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = output.Trim();
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var vote) && vote is >= -1 and <= 1)
        {
            return vote;
        }

        var shown = text.Length > 40 ? text[..40] + "…" : text;
        throw new FormatException($"a scaling hook must print 1 (add servers), 0 (keep) or -1 (remove), but printed '{shown}'");
    }
}
