using System.Globalization;

namespace Strata.Spec;

/// <summary>
/// Checks five-field cron expressions (minute hour day-of-month month day-of-week) with <c>*</c>, lists, ranges and
/// steps, and names for months and weekdays. Only the syntax is checked here; the scheduler computes occurrences.
/// </summary>
public static class CronSyntax
{
    private static readonly (string Name, int Min, int Max, string[]? Names)[] s_fields =
    [
        ("minute", 0, 59, null),
        ("hour", 0, 23, null),
        ("day of month", 1, 31, null),
        ("month", 1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
        ("day of week", 0, 7, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ];

    /// <summary>Null when the expression is valid, otherwise what is wrong with it.</summary>
    public static string? Check(string expression)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            return $"a cron expression has 5 fields (minute hour day-of-month month day-of-week), but '{expression}' has {fields.Length}";
        }

        for (var i = 0; i < 5; i++)
        {
            if (CheckField(fields[i], s_fields[i]) is { } error)
            {
                return $"invalid {s_fields[i].Name} field '{fields[i]}' in cron expression: {error}";
            }
        }

        return null;
    }

    private static string? CheckField(string field, (string Name, int Min, int Max, string[]? Names) spec)
    {
        foreach (var part in field.Split(','))
        {
            var slash = part.IndexOf('/', StringComparison.Ordinal);
            var range = slash < 0 ? part : part[..slash];
            if (slash >= 0 && (!int.TryParse(part[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step < 1))
            {
                return "the step after '/' must be a positive number";
            }

            if (range == "*")
            {
                continue;
            }

            var dash = range.IndexOf('-', StringComparison.Ordinal);
            var bounds = dash < 0 ? [range] : new[] { range[..dash], range[(dash + 1)..] };
            var values = new List<int>();
            foreach (var bound in bounds)
            {
                if (Value(bound, spec) is not { } value)
                {
                    return $"'{bound}' is not a number from {spec.Min} to {spec.Max}";
                }

                values.Add(value);
            }

            if (values.Count == 2 && values[0] > values[1])
            {
                return $"the range {range} runs backwards";
            }
        }

        return null;
    }

    private static int? Value(string text, (string Name, int Min, int Max, string[]? Names) spec)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number >= spec.Min && number <= spec.Max ? number : null;
        }

        var index = spec.Names is null ? -1 : Array.IndexOf(spec.Names, text.ToLowerInvariant());
        return index < 0 ? null : index + spec.Min;
    }
}
