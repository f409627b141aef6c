using System.Globalization;

namespace Strata.Common.Scheduling;

/// <summary>
/// The cron syntax Strata accepts: five fields (minute hour day-of-month month day-of-week) with <c>*</c>, lists,
/// ranges, steps (<c>*/15</c>, <c>1-5/2</c>, <c>5/10</c> = from 5 to the end every 10) and month and weekday names.
/// Cronos, which computes the occurrences, takes more (<c>?</c>, <c>L</c>, <c>W</c>, <c>#</c>, <c>H</c>, macros,
/// reversed ranges); checking here keeps the spec to what docs/spec.md documents and every error worded for it.
/// </summary>
internal static class CronGrammar
{
    /// <summary>One field's values from <see cref="Low"/> to <see cref="High"/> every <see cref="Step"/>.</summary>
    internal readonly record struct Part(int Low, int High, int Step);

    private sealed record FieldRule(string Name, int Min, int Max, string[]? Names);

    private static readonly FieldRule[] s_fields =
    [
        new("minute", 0, 59, null),
        new("hour", 0, 23, null),
        new("day of month", 1, 31, null),
        new("month", 1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
        new("day of week", 0, 7, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ];

    /// <summary>The largest value of each field, in field order.</summary>
    public static IEnumerable<int> Maxima => s_fields.Select(f => f.Max);

    /// <summary>Null when <paramref name="expression"/> is valid, with its parts per field; otherwise what is wrong.</summary>
    public static string? Parse(string expression, out Part[][] fields)
    {
        fields = [];
        var texts = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (texts.Length != 5)
        {
            return $"a cron expression has 5 fields (minute hour day-of-month month day-of-week), but '{expression}' has {texts.Length}";
        }

        var parsed = new Part[5][];
        for (var i = 0; i < 5; i++)
        {
            if (ParseField(texts[i], s_fields[i], out parsed[i]) is { } error)
            {
                return $"invalid {s_fields[i].Name} field '{texts[i]}' in cron expression: {error}";
            }
        }

        fields = parsed;
        return null;
    }

    private static string? ParseField(string field, FieldRule rule, out Part[] parts)
    {
        var result = new List<Part>();
        parts = [];
        foreach (var text in field.Split(','))
        {
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            var range = slash < 0 ? text : text[..slash];
            var step = 1;
            if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1))
            {
                return "the step after '/' must be a positive number";
            }

            if (ParseRange(range, rule, out var low, out var high) is { } error)
            {
                return error;
            }

            // A single value with a step runs to the end of the field: 5/10 is 5-59/10.
            result.Add(new Part(low, slash >= 0 && range != "*" && !range.Contains('-', StringComparison.Ordinal) ? rule.Max : high, step));
        }

        parts = [.. result];
        return null;
    }

    private static string? ParseRange(string range, FieldRule rule, out int low, out int high)
    {
        (low, high) = (rule.Min, rule.Max);
        if (range == "*")
        {
            return null;
        }

        var dash = range.IndexOf('-', StringComparison.Ordinal);
        var bounds = dash < 0 ? [range, range] : new[] { range[..dash], range[(dash + 1)..] };
        foreach (var bound in bounds)
        {
            if (Value(bound, rule) is null)
            {
                return $"'{bound}' is not a number from {rule.Min} to {rule.Max}";
            }
        }

        (low, high) = (Value(bounds[0], rule)!.Value, Value(bounds[1], rule)!.Value);
        return low > high ? $"the range {range} runs backwards" : null;
    }

    private static int? Value(string text, FieldRule rule)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number >= rule.Min && number <= rule.Max ? number : null;
        }

        var index = rule.Names is null ? -1 : Array.IndexOf(rule.Names, text.ToLowerInvariant());
        return index < 0 ? null : index + rule.Min;
    }
}
