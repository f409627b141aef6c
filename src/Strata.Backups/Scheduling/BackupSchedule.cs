using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Common.Scheduling;

namespace Strata.Backups.Scheduling;

/// <summary>
/// When backups run: <c>every: 6h</c> (fixed intervals counted from the Unix epoch, so every server and every
/// restart agrees on the times) or a 5-field cron expression (<c>minute hour day-of-month month day-of-week</c>,
/// UTC) such as <c>0 3 * * *</c> or <c>*/15 9-17 * * 1-5</c>.
/// </summary>
public abstract partial class BackupSchedule
{
    private BackupSchedule(string text) => Text = text;

    /// <summary>The schedule as written.</summary>
    public string Text { get; }

    /// <summary>The first time strictly after <paramref name="after"/> at which a backup is due.</summary>
    public abstract DateTimeOffset Next(DateTimeOffset after);

    /// <summary>Reads a schedule.</summary>
    /// <exception cref="FormatException">The text is neither <c>every: DURATION</c> nor a valid cron expression; the message says why.</exception>
    public static BackupSchedule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.StartsWith("every", StringComparison.Ordinal))
        {
            var duration = trimmed["every".Length..].TrimStart(':', ' ');
            return new Interval(text, ParseDuration(duration, text));
        }

        try
        {
            return new Cron(text, CronSchedule.Parse(trimmed));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"invalid schedule '{text}': {ex.Message}", ex);
        }
    }

    public override string ToString() => Text;

    private static TimeSpan ParseDuration(string value, string text)
    {
        var match = DurationPattern().Match(value);
        if (!match.Success || value.Length == 0)
        {
            throw new FormatException($"invalid schedule '{text}': expected 'every: <duration>' such as 'every: 6h', '30m' or '1d12h'");
        }

        var total = TimeSpan.Zero;
        foreach (Capture capture in match.Groups["part"].Captures)
        {
            var number = int.Parse(capture.Value[..^1], CultureInfo.InvariantCulture);
            total += capture.Value[^1] switch
            {
                'd' => TimeSpan.FromDays(number),
                'h' => TimeSpan.FromHours(number),
                'm' => TimeSpan.FromMinutes(number),
                _ => TimeSpan.FromSeconds(number),
            };
        }

        return total >= TimeSpan.FromMinutes(1)
            ? total
            : throw new FormatException($"invalid schedule '{text}': the interval must be at least 1 minute");
    }

    [GeneratedRegex(@"^(?<part>\d{1,6}[dhms])+$")]
    private static partial Regex DurationPattern();

    private sealed class Interval(string text, TimeSpan every) : BackupSchedule(text)
    {
        public override DateTimeOffset Next(DateTimeOffset after)
        {
            var ticks = after.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            var next = (ticks / every.Ticks + 1) * every.Ticks;
            return DateTimeOffset.UnixEpoch.AddTicks(next);
        }
    }

    private sealed class Cron(string text, CronSchedule schedule) : BackupSchedule(text)
    {
        public override DateTimeOffset Next(DateTimeOffset after) =>
            schedule.NextAfter(after) ?? throw new InvalidOperationException($"the schedule '{Text}' never falls due (for example 30 February)");
    }
}
