namespace Strata.Scaling.Tests;

[Trait("kind", "unit")]
public sealed class CronScheduleTests
{
    private static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void NextAfter_Every15Minutes_ReturnsNextQuarterHour()
    {
        var cron = CronSchedule.Parse("*/15 * * * *");

        Assert.Equal(Utc(2026, 1, 1, 10, 15), cron.NextAfter(Utc(2026, 1, 1, 10, 7)));
        Assert.Equal(Utc(2026, 1, 1, 10, 30), cron.NextAfter(Utc(2026, 1, 1, 10, 15)));
        Assert.Equal(Utc(2026, 1, 2, 0, 0), cron.NextAfter(Utc(2026, 1, 1, 23, 45)));
    }

    [Fact]
    public void NextAfter_SecondsWithinTheMinute_AreIgnored()
    {
        var cron = CronSchedule.Parse("30 10 * * *");

        Assert.Equal(Utc(2026, 1, 2, 10, 30), cron.NextAfter(Utc(2026, 1, 1, 10, 30).AddSeconds(20)));
    }

    [Fact]
    public void NextAfter_RangeAndListOfHours_MatchesOnlyThoseHours()
    {
        var cron = CronSchedule.Parse("0 8-10,17 * * *");

        var times = Occurrences(cron, Utc(2026, 3, 2), 5);

        Assert.Equal([Utc(2026, 3, 2, 8, 0), Utc(2026, 3, 2, 9, 0), Utc(2026, 3, 2, 10, 0), Utc(2026, 3, 2, 17, 0), Utc(2026, 3, 3, 8, 0)], times);
    }

    [Fact]
    public void NextAfter_WeekdaysRange_SkipsTheWeekend()
    {
        var cron = CronSchedule.Parse("0 8 * * 1-5");

        // 2026-01-02 is a Friday.
        Assert.Equal(Utc(2026, 1, 5, 8, 0), cron.NextAfter(Utc(2026, 1, 2, 9, 0)));
    }

    [Theory]
    [InlineData("0 12 * * 0")]
    [InlineData("0 12 * * 7")]
    [InlineData("0 12 * * sun")]
    public void NextAfter_SundayWrittenAs0Or7OrName_MatchesSunday(string expression)
    {
        var next = CronSchedule.Parse(expression).NextAfter(Utc(2026, 1, 1));

        Assert.Equal(Utc(2026, 1, 4, 12, 0), next);
        Assert.Equal(DayOfWeek.Sunday, next!.Value.DayOfWeek);
    }

    [Fact]
    public void NextAfter_RangeWithStep_TakesEveryNthValue()
    {
        var cron = CronSchedule.Parse("0 1-9/4 * * *");

        Assert.Equal([Utc(2026, 1, 1, 1, 0), Utc(2026, 1, 1, 5, 0), Utc(2026, 1, 1, 9, 0), Utc(2026, 1, 2, 1, 0)], Occurrences(cron, Utc(2026, 1, 1), 4));
    }

    [Fact]
    public void NextAfter_ValueWithStep_RunsToTheEndOfTheField()
    {
        var cron = CronSchedule.Parse("50/5 0 * * *");

        Assert.Equal([Utc(2026, 1, 1, 0, 50), Utc(2026, 1, 1, 0, 55), Utc(2026, 1, 2, 0, 50)], Occurrences(cron, Utc(2025, 12, 31, 23, 0), 3));
    }

    [Fact]
    public void NextAfter_MonthNames_MatchThoseMonths()
    {
        var cron = CronSchedule.Parse("0 0 1 jan,jul *");

        Assert.Equal([Utc(2026, 7, 1), Utc(2027, 1, 1)], Occurrences(cron, Utc(2026, 1, 1), 2));
    }

    [Fact]
    public void NextAfter_February29_FindsTheNextLeapYear()
    {
        var cron = CronSchedule.Parse("0 0 29 2 *");

        Assert.Equal(Utc(2028, 2, 29), cron.NextAfter(Utc(2026, 1, 1)));
        Assert.Equal(Utc(2032, 2, 29), cron.NextAfter(Utc(2028, 2, 29)));
    }

    [Fact]
    public void NextAfter_February29AcrossACenturyThatIsNotLeap_SkipsEightYears()
    {
        var cron = CronSchedule.Parse("0 0 29 2 *");

        Assert.Equal(Utc(2104, 2, 29), cron.NextAfter(Utc(2096, 3, 1)));
    }

    [Fact]
    public void NextAfter_DayThatNeverExists_ReturnsNull()
    {
        Assert.Null(CronSchedule.Parse("0 0 30 2 *").NextAfter(Utc(2026, 1, 1)));
    }

    [Fact]
    public void NextAfter_BothDayFieldsRestricted_MatchesEither()
    {
        var cron = CronSchedule.Parse("0 0 13 * 5");

        // The 13th of any month or any Friday: Friday 2 January comes before 13 January.
        Assert.Equal([Utc(2026, 1, 2), Utc(2026, 1, 9), Utc(2026, 1, 13), Utc(2026, 1, 16)], Occurrences(cron, Utc(2026, 1, 1), 4));
    }

    [Fact]
    public void NextAfter_DayOfMonthWithStarDayOfWeek_MatchesOnlyThatDay()
    {
        var cron = CronSchedule.Parse("0 0 13 * *");

        Assert.Equal([Utc(2026, 1, 13), Utc(2026, 2, 13)], Occurrences(cron, Utc(2026, 1, 1), 2));
    }

    [Fact]
    public void NextAfter_OffsetInput_IsEvaluatedInUtc()
    {
        var cron = CronSchedule.Parse("0 8 * * *");
        var parisMorning = new DateTimeOffset(2026, 3, 29, 9, 30, 0, TimeSpan.FromHours(2));

        var next = cron.NextAfter(parisMorning);

        Assert.Equal(Utc(2026, 3, 29, 8, 0), next);
        Assert.Equal(TimeSpan.Zero, next!.Value.Offset);
    }

    [Fact]
    public void NextAfter_AcrossADaylightSavingDate_KeepsTheUtcHour()
    {
        var cron = CronSchedule.Parse("30 1 * * *");

        // Europe and the US change clocks on these dates; UTC has no gap or repeated hour.
        Assert.Equal([Utc(2026, 3, 29, 1, 30), Utc(2026, 3, 30, 1, 30)], Occurrences(cron, Utc(2026, 3, 29), 2));
        Assert.Equal([Utc(2026, 11, 1, 1, 30), Utc(2026, 11, 2, 1, 30)], Occurrences(cron, Utc(2026, 11, 1), 2));
    }

    [Fact]
    public void LatestAtOrBefore_ExactOccurrence_ReturnsIt()
    {
        var cron = CronSchedule.Parse("0 8 * * 1-5");

        Assert.Equal(Utc(2026, 1, 5, 8, 0), cron.LatestAtOrBefore(Utc(2026, 1, 5, 8, 0)));
        Assert.Equal(Utc(2026, 1, 2, 8, 0), cron.LatestAtOrBefore(Utc(2026, 1, 5, 7, 59)));
    }

    [Fact]
    public void LatestBetween_IntervalIsOpenAtTheStart_ExcludesTheStart()
    {
        var cron = CronSchedule.Parse("0 * * * *");

        Assert.Null(cron.LatestBetween(Utc(2026, 1, 1, 8, 0), Utc(2026, 1, 1, 8, 59)));
        Assert.Equal(Utc(2026, 1, 1, 10, 0), cron.LatestBetween(Utc(2026, 1, 1, 8, 0), Utc(2026, 1, 1, 10, 30)));
    }

    [Theory]
    [InlineData("* * * *", "5 fields")]
    [InlineData("61 * * * *", "minute")]
    [InlineData("* * * * 8", "day of week")]
    [InlineData("*/0 * * * *", "step")]
    [InlineData("10-5 * * * *", "backwards")]
    public void Parse_InvalidExpression_ThrowsFormatExceptionSayingWhy(string expression, string expected)
    {
        var error = Assert.Throws<FormatException>(() => CronSchedule.Parse(expression));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static List<DateTimeOffset> Occurrences(CronSchedule cron, DateTimeOffset after, int count)
    {
        var result = new List<DateTimeOffset>();
        for (var at = after; result.Count < count;)
        {
            at = cron.NextAfter(at) ?? throw new InvalidOperationException("no more occurrences");
            result.Add(at);
        }

        return result;
    }
}
