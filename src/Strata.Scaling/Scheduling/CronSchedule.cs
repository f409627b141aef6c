using System.Globalization;
using Strata.Spec;

namespace Strata.Scaling;

/// <summary>
/// A five-field cron expression (minute hour day-of-month month day-of-week) evaluated in UTC, so every day has
/// 24 hours and no occurrence is skipped or repeated by a daylight-saving change. Fields take <c>*</c>, lists,
/// ranges, steps (<c>*/15</c>, <c>1-5/2</c>, <c>5/10</c> = from 5 to the end every 10) and month and weekday names;
/// day-of-week 0 and 7 are both Sunday. As in Vixie cron, when both day fields are restricted a day matches
/// either of them.
/// </summary>
/// <example><c>CronSchedule.Parse("0 8 * * 1-5").NextAfter(now)</c> is the next weekday at 08:00 UTC.</example>
public sealed class CronSchedule
{
    // Far enough to find the rarest satisfiable expression, 29 February, whose occurrences can be eight years apart.
    private const int SearchDays = 366 * 9;

    private static readonly string[] s_months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    private static readonly string[] s_weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    private readonly bool[] _minutes;
    private readonly bool[] _hours;
    private readonly bool[] _daysOfMonth;
    private readonly bool[] _months;
    private readonly bool[] _daysOfWeek;
    private readonly bool _bothDaysRestricted;

    private CronSchedule(string expression, string[] fields)
    {
        Expression = expression;
        _minutes = ParseField(fields[0], 0, 59, null);
        _hours = ParseField(fields[1], 0, 23, null);
        _daysOfMonth = ParseField(fields[2], 1, 31, null);
        _months = ParseField(fields[3], 1, 12, s_months);
        var weekdays = ParseField(fields[4], 0, 7, s_weekdays);
        _daysOfWeek = [weekdays[0] || weekdays[7], .. weekdays[1..7]];
        _bothDaysRestricted = !fields[2].StartsWith('*') && !fields[4].StartsWith('*');
    }

    /// <summary>The expression as written.</summary>
    public string Expression { get; }

    /// <summary>Parses an expression.</summary>
    /// <exception cref="FormatException">The expression is not a valid five-field cron expression; the message says why.</exception>
    public static CronSchedule Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (CronSyntax.Check(expression) is { } problem)
        {
            throw new FormatException(problem);
        }

        return new CronSchedule(expression, expression.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/> (in UTC), or null when the expression never matches (e.g. 30 February).</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after)
    {
        var utc = after.UtcDateTime;
        var start = new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, DateTimeKind.Utc).AddMinutes(1);
        var day = start.Date;
        for (var i = 0; i < SearchDays && day.Year < 9999; i++, day = day.AddDays(1))
        {
            var from = day == start.Date ? start.TimeOfDay : TimeSpan.Zero;
            if (DayMatches(day) && FirstTimeOn(from) is { } time)
            {
                return new DateTimeOffset(day + time, TimeSpan.Zero);
            }
        }

        return null;
    }

    /// <summary>The last occurrence at or before <paramref name="atOrBefore"/> (in UTC), or null when there is none in the nine years before it.</summary>
    public DateTimeOffset? LatestAtOrBefore(DateTimeOffset atOrBefore)
    {
        var utc = atOrBefore.UtcDateTime;
        var end = new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, DateTimeKind.Utc);
        var day = end.Date;
        for (var i = 0; i < SearchDays && day.Year > 1; i++, day = day.AddDays(-1))
        {
            var to = day == end.Date ? end.TimeOfDay : new TimeSpan(23, 59, 0);
            if (DayMatches(day) && LastTimeOn(to) is { } time)
            {
                return new DateTimeOffset(day + time, TimeSpan.Zero);
            }
        }

        return null;
    }

    /// <summary>The latest occurrence in the interval (<paramref name="after"/>, <paramref name="atOrBefore"/>], or null.</summary>
    public DateTimeOffset? LatestBetween(DateTimeOffset after, DateTimeOffset atOrBefore) =>
        atOrBefore > after && LatestAtOrBefore(atOrBefore) is { } latest && latest > after ? latest : null;

    /// <inheritdoc/>
    public override string ToString() => Expression;

    private bool DayMatches(DateTime day)
    {
        if (!_months[day.Month])
        {
            return false;
        }

        var dayOfMonth = _daysOfMonth[day.Day];
        var dayOfWeek = _daysOfWeek[(int)day.DayOfWeek];
        return _bothDaysRestricted ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek;
    }

    private TimeSpan? FirstTimeOn(TimeSpan from)
    {
        for (var hour = from.Hours; hour < 24; hour++)
        {
            for (var minute = hour == from.Hours ? from.Minutes : 0; _hours[hour] && minute < 60; minute++)
            {
                if (_minutes[minute])
                {
                    return new TimeSpan(hour, minute, 0);
                }
            }
        }

        return null;
    }

    private TimeSpan? LastTimeOn(TimeSpan to)
    {
        for (var hour = to.Hours; hour >= 0; hour--)
        {
            for (var minute = hour == to.Hours ? to.Minutes : 59; _hours[hour] && minute >= 0; minute--)
            {
                if (_minutes[minute])
                {
                    return new TimeSpan(hour, minute, 0);
                }
            }
        }

        return null;
    }

    // The syntax was checked by CronSyntax, so this only has to compute the set of values.
    private static bool[] ParseField(string field, int min, int max, string[]? names)
    {
        var set = new bool[max + 1];
        foreach (var part in field.Split(','))
        {
            var slash = part.IndexOf('/', StringComparison.Ordinal);
            var range = slash < 0 ? part : part[..slash];
            var step = slash < 0 ? 1 : int.Parse(part[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture);
            var (low, high) = ParseRange(range, min, max, names);
            high = slash >= 0 && !range.Contains('-', StringComparison.Ordinal) ? max : high;
            for (var value = low; value <= high; value += step)
            {
                set[value] = true;
            }
        }

        return set;
    }

    private static (int Low, int High) ParseRange(string range, int min, int max, string[]? names)
    {
        if (range == "*")
        {
            return (min, max);
        }

        var dash = range.IndexOf('-', StringComparison.Ordinal);
        return dash < 0
            ? (Value(range, min, names), Value(range, min, names))
            : (Value(range[..dash], min, names), Value(range[(dash + 1)..], min, names));
    }

    private static int Value(string text, int min, string[]? names) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : Array.IndexOf(names!, text.ToLowerInvariant()) + min;
}
