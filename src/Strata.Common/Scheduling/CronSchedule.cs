using System.Globalization;
using Cronos;

namespace Strata.Common.Scheduling;

/// <summary>
/// A five-field cron expression (minute hour day-of-month month day-of-week) evaluated in UTC, so every day has
/// 24 hours and no occurrence is skipped or repeated by a daylight-saving change. Fields take <c>*</c>, lists,
/// ranges, steps (<c>*/15</c>, <c>1-5/2</c>, <c>5/10</c> = from 5 to the end every 10) and month and weekday names;
/// day-of-week 0 and 7 are both Sunday. As in Vixie cron, when both day fields are restricted (neither starts with
/// <c>*</c>) a day matches either of them. The syntax is checked by Strata (see <see cref="Check"/>); the
/// occurrences are computed by Cronos.
/// </summary>
/// <example><c>CronSchedule.Parse("0 8 * * 1-5").NextAfter(time.GetUtcNow())</c> is the next weekday at 08:00 UTC.</example>
public sealed class CronSchedule
{
    // Cronos matches a day when both day fields match; Vixie cron, and Strata, when either does. With both
    // restricted, the schedule is the union of one expression per day field.
    private readonly CronExpression[] _expressions;

    private CronSchedule(string expression, CronExpression[] expressions)
    {
        Expression = expression;
        _expressions = expressions;
    }

    /// <summary>The expression as written.</summary>
    public string Expression { get; }

    /// <summary>Null when <paramref name="expression"/> is a valid cron expression, otherwise what is wrong with it.</summary>
    /// <example><c>Check("0 25 * * *")</c> is <c>invalid hour field '25' in cron expression: '25' is not a number from 0 to 23</c>.</example>
    public static string? Check(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return CronGrammar.Parse(expression, out _);
    }

    /// <summary>Parses an expression.</summary>
    /// <exception cref="FormatException">The expression is not a valid five-field cron expression; the message says why.</exception>
    public static CronSchedule Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (CronGrammar.Parse(expression, out var fields) is { } problem)
        {
            throw new FormatException(problem);
        }

        var texts = fields.Zip(CronGrammar.Maxima, CronosField).ToArray();
        var written = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var bothDaysRestricted = !written[2].StartsWith('*') && !written[4].StartsWith('*');
        CronExpression[] expressions = bothDaysRestricted
            ? [ToCronos(texts, dayOfWeek: "*"), ToCronos(texts, dayOfMonth: "*")]
            : [ToCronos(texts)];
        return new CronSchedule(expression, expressions);
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/> (in UTC), or null when the expression never matches (e.g. 30 February).</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after) =>
        Utc(_expressions.Select(e => e.GetNextOccurrence(after.UtcDateTime)).Min());

    /// <summary>The last occurrence at or before <paramref name="atOrBefore"/> (in UTC), or null when there is none.</summary>
    public DateTimeOffset? LatestAtOrBefore(DateTimeOffset atOrBefore) =>
        Utc(_expressions.Select(e => e.GetPreviousOccurrence(atOrBefore.UtcDateTime, inclusive: true)).Max());

    /// <summary>The latest occurrence in the interval (<paramref name="after"/>, <paramref name="atOrBefore"/>], or null.</summary>
    public DateTimeOffset? LatestBetween(DateTimeOffset after, DateTimeOffset atOrBefore) =>
        atOrBefore > after && LatestAtOrBefore(atOrBefore) is { } latest && latest > after ? latest : null;

    /// <inheritdoc/>
    public override string ToString() => Expression;

    private static DateTimeOffset? Utc(DateTime? time) => time is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    private static CronExpression ToCronos(string[] fields, string? dayOfMonth = null, string? dayOfWeek = null) =>
        CronExpression.Parse(string.Join(' ', fields[0], fields[1], dayOfMonth ?? fields[2], fields[3], dayOfWeek ?? fields[4]), CronFormat.Standard);

    // Written in plain numbers, which Cronos reads the same way whatever else it accepts. Cronos takes steps up to
    // the field's largest value; a larger step reaches only the first value, so that value alone is written.
    private static string CronosField(CronGrammar.Part[] parts, int max) =>
        string.Join(',', parts.Select(p => p switch
        {
            { Step: 1 } when p.Low == p.High => Number(p.Low),
            { Step: 1 } => $"{Number(p.Low)}-{Number(p.High)}",
            _ when p.Step > max => Number(p.Low),
            _ => $"{Number(p.Low)}-{Number(p.High)}/{Number(p.Step)}",
        }));

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
