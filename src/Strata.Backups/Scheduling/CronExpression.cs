namespace Strata.Backups.Scheduling;

/// <summary>
/// A 5-field cron expression evaluated in UTC: <c>*</c>, numbers, ranges <c>a-b</c>, steps <c>*/n</c> and
/// <c>a-b/n</c>, lists <c>a,b</c>; day of week 0-7 with 0 and 7 both Sunday. As in classic cron, when both day of
/// month and day of week are restricted, a day matching either one is due.
/// </summary>
internal sealed class CronExpression
{
    private static readonly (string Name, int Min, int Max)[] s_fields =
        [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7)];

    // Four years covers every combination of month lengths and weekdays, including 29 February.
    private static readonly TimeSpan s_horizon = TimeSpan.FromDays(4 * 366 + 1);

    private readonly bool[][] _allowed;
    private readonly bool _dayOfMonthRestricted;
    private readonly bool _dayOfWeekRestricted;
    private readonly string _text;

    private CronExpression(string text, bool[][] allowed, bool dayOfMonthRestricted, bool dayOfWeekRestricted)
    {
        _text = text;
        _allowed = allowed;
        _dayOfMonthRestricted = dayOfMonthRestricted;
        _dayOfWeekRestricted = dayOfWeekRestricted;
    }

    public static CronExpression Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5)
        {
            throw new FormatException($"invalid schedule '{text}': expected 'every: <duration>' or a cron expression of 5 fields (minute hour day-of-month month day-of-week), got {parts.Length}");
        }

        var allowed = new bool[5][];
        for (var i = 0; i < 5; i++)
        {
            allowed[i] = ParseField(parts[i], s_fields[i], text);
        }

        // Sunday is both 0 and 7.
        allowed[4][0] |= allowed[4][7];
        return new CronExpression(text, allowed, parts[2] != "*", parts[4] != "*");
    }

    public DateTimeOffset Next(DateTimeOffset after)
    {
        var utc = after.UtcDateTime;
        var t = new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, DateTimeKind.Utc).AddMinutes(1);
        var limit = t + s_horizon;
        while (t < limit)
        {
            if (!_allowed[3][t.Month])
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
            }
            else if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
            }
            else if (!_allowed[1][t.Hour])
            {
                t = t.Date.AddHours(t.Hour + 1);
            }
            else if (!_allowed[0][t.Minute])
            {
                t = t.AddMinutes(1);
            }
            else
            {
                return new DateTimeOffset(t);
            }
        }

        throw new InvalidOperationException($"the schedule '{_text}' never falls due (for example 30 February)");
    }

    private bool DayMatches(DateTime t)
    {
        var dayOfMonth = _allowed[2][t.Day];
        var dayOfWeek = _allowed[4][(int)t.DayOfWeek];
        return _dayOfMonthRestricted && _dayOfWeekRestricted ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek;
    }

    private static bool[] ParseField(string field, (string Name, int Min, int Max) spec, string text)
    {
        var allowed = new bool[spec.Max + 1];
        foreach (var item in field.Split(','))
        {
            var (range, step) = item.Split('/') switch
            {
                [var r] => (r, 1),
                [var r, var s] when int.TryParse(s, out var n) && n > 0 => (r, n),
                _ => throw Invalid(text, spec.Name, item, "a step must be a positive number"),
            };
            var (low, high) = range switch
            {
                "*" => (spec.Min, spec.Max),
                _ when range.Split('-') is [var a, var b] => (Number(a, spec, text), Number(b, spec, text)),
                _ => (Number(range, spec, text), step > 1 ? spec.Max : Number(range, spec, text)),
            };
            if (low > high)
            {
                throw Invalid(text, spec.Name, item, $"the range runs backwards");
            }

            for (var v = low; v <= high; v += step)
            {
                allowed[v] = true;
            }
        }

        return allowed;
    }

    private static int Number(string value, (string Name, int Min, int Max) spec, string text) =>
        int.TryParse(value, out var n) && n >= spec.Min && n <= spec.Max
            ? n
            : throw Invalid(text, spec.Name, value, $"expected a number from {spec.Min} to {spec.Max}");

    private static FormatException Invalid(string text, string field, string item, string why) =>
        new($"invalid schedule '{text}': {field} '{item}': {why}");
}
