using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Spec.Model;

namespace Strata.Spec.Grammar;

/// <summary>
/// Parsers for the value notations of the spec, shared with the command line so <c>--param</c> values are read the
/// same way: durations (<c>500ms</c>, <c>1s</c>, <c>5m</c>, <c>2h</c>, <c>7d</c>), sizes (<c>512MiB</c>, <c>1GB</c>,
/// plain bytes) and names.
/// </summary>
public static partial class SpecValues
{
    /// <summary>
    /// The providers a spec may name. Only <c>local</c> exists today; a spec naming another is refused rather than
    /// silently run on this machine.
    /// </summary>
    public static readonly IReadOnlyList<string> Providers = ["local"];

    /// <summary>The longest tier, image, load balancer, port or volume name: 32 characters.</summary>
    public const int MaxResourceNameLength = 32;

    /// <summary>The longest deployment name: 40 characters.</summary>
    public const int MaxDeploymentNameLength = 40;

    private static readonly Dictionary<string, long> s_sizeUnits = new(StringComparer.Ordinal)
    {
        [""] = 1, ["B"] = 1,
        ["KB"] = 1000, ["MB"] = 1000_000, ["GB"] = 1000_000_000, ["TB"] = 1000_000_000_000,
        ["KiB"] = 1L << 10, ["MiB"] = 1L << 20, ["GiB"] = 1L << 30, ["TiB"] = 1L << 40,
    };

    /// <summary>Reads a duration: a whole number followed by <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c>; <c>0</c> alone is zero.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
        {
            return text.Trim() == "0";
        }

        if (!long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > 100_000_000)
        {
            return false;
        }

        duration = match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(amount),
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            _ => TimeSpan.FromDays(amount),
        };
        return true;
    }

    /// <summary>Reads a size in bytes: plain bytes, or a number with <c>B</c>, <c>KB</c>/<c>MB</c>/<c>GB</c>/<c>TB</c> (powers of 1000) or <c>KiB</c>/<c>MiB</c>/<c>GiB</c>/<c>TiB</c> (powers of 1024).</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        var match = SizePattern().Match(text.Trim());
        if (!match.Success || !s_sizeUnits.TryGetValue(match.Groups[2].Value, out var unit))
        {
            return false;
        }

        if (!long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > long.MaxValue / unit)
        {
            return false;
        }

        bytes = amount * unit;
        return true;
    }

    /// <summary>Reads <c>25%</c> as a percentage or <c>2</c> as a count.</summary>
    public static bool TryParseCountOrPercent(string text, out CountOrPercent value)
    {
        value = default;
        var trimmed = text.Trim();
        var isPercent = trimmed.EndsWith('%');
        var number = isPercent ? trimmed[..^1] : trimmed;
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || (isPercent && amount > 100))
        {
            return false;
        }

        value = new CountOrPercent(amount, isPercent);
        return true;
    }

    /// <summary>True for lower-case letters, digits and dashes, starting with a letter, at most <paramref name="maxLength"/> long.</summary>
    public static bool IsValidName(string name, int maxLength = MaxResourceNameLength) =>
        name.Length <= maxLength && NamePattern().IsMatch(name);

    /// <summary>Renders a duration the way the spec writes it, e.g. <c>90s</c>, <c>5m</c>, <c>250ms</c>.</summary>
    public static string FormatDuration(TimeSpan duration) => duration switch
    {
        { Ticks: 0 } => "0s",
        _ when duration.TotalDays >= 1 && duration.Ticks % TimeSpan.TicksPerDay == 0 => $"{(long)duration.TotalDays}d",
        _ when duration.TotalHours >= 1 && duration.Ticks % TimeSpan.TicksPerHour == 0 => $"{(long)duration.TotalHours}h",
        _ when duration.TotalMinutes >= 1 && duration.Ticks % TimeSpan.TicksPerMinute == 0 => $"{(long)duration.TotalMinutes}m",
        _ when duration.Ticks % TimeSpan.TicksPerSecond == 0 => $"{(long)duration.TotalSeconds}s",
        _ => $"{(long)duration.TotalMilliseconds}ms",
    };

    [GeneratedRegex(@"^([0-9]+)(ms|s|m|h|d)$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^([0-9]+)\s?([KMGT]i?B|B)?$", RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^[a-z][a-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
