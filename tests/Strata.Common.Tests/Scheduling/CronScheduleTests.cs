using Strata.Common.Scheduling;

namespace Strata.Common.Tests.Scheduling;

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
    [InlineData("0 3 * * *", "2026-03-15T03:00:00Z")]
    [InlineData("*/15 * * * *", "2026-03-14T10:30:00Z")]
    [InlineData("0 9-17/4 * * 1-5", "2026-03-16T09:00:00Z")]
    [InlineData("0 0 1 * *", "2026-04-01T00:00:00Z")]
    [InlineData("0 0 29 2 *", "2028-02-29T00:00:00Z")]
    [InlineData("0 0 13 * 5", "2026-03-20T00:00:00Z")]
    [InlineData("17 10 * * *", "2026-03-15T10:17:00Z")]
    public void NextAfter_FromASaturdayMorning_IsTheFirstTimeStrictlyAfter(string expression, string expected)
    {
        var saturday = new DateTimeOffset(2026, 3, 14, 10, 17, 30, TimeSpan.Zero);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), CronSchedule.Parse(expression).NextAfter(saturday));
    }

    [Theory]
    [InlineData("0 12 * * MON")]
    [InlineData("0 12 * * Mon")]
    [InlineData("0 12 * * mon-mon")]
    [InlineData("0 12 * JAN mon")]
    public void NextAfter_NamesInAnyCase_MatchTheirValues(string expression)
    {
        Assert.Equal(Utc(2026, 1, 5, 12, 0), CronSchedule.Parse(expression).NextAfter(Utc(2026, 1, 1)));
    }

    [Fact]
    public void NextAfter_WeekdayRangeEndingAt7_IncludesSunday()
    {
        var cron = CronSchedule.Parse("0 0 * * 5-7");

        // 2026-01-02 is a Friday.
        Assert.Equal([Utc(2026, 1, 2), Utc(2026, 1, 3), Utc(2026, 1, 4), Utc(2026, 1, 9)], Occurrences(cron, Utc(2026, 1, 1, 12, 0), 4));
    }

    [Fact]
    public void NextAfter_StepLargerThanTheField_MatchesOnlyItsFirstValue()
    {
        var cron = CronSchedule.Parse("*/90 5/100 * * *");

        Assert.Equal([Utc(2026, 1, 1, 5, 0), Utc(2026, 1, 2, 5, 0)], Occurrences(cron, Utc(2026, 1, 1), 2));
    }

    [Fact]
    public void NextAfter_StepInTheDayOfMonthField_CountsAsRestrictedOnlyWithoutAStar()
    {
        // As in Vixie cron, a day field that starts with * does not make the day fields match either-or: */2 with
        // Monday is odd days that are Mondays; 1-31/2 with Monday is odd days and Mondays.
        var starred = CronSchedule.Parse("0 0 */2 * 1");
        var ranged = CronSchedule.Parse("0 0 1-31/2 * 1");

        Assert.Equal([Utc(2026, 1, 5), Utc(2026, 1, 19), Utc(2026, 2, 9)], Occurrences(starred, Utc(2026, 1, 1), 3));
        Assert.Equal([Utc(2026, 1, 3), Utc(2026, 1, 5), Utc(2026, 1, 7), Utc(2026, 1, 9), Utc(2026, 1, 11), Utc(2026, 1, 12)], Occurrences(ranged, Utc(2026, 1, 2), 6));
    }

    [Fact]
    public void NextAfter_LeadingZeros_AreReadAsNumbers()
    {
        Assert.Equal(Utc(2026, 1, 1, 7, 5), CronSchedule.Parse("005 07 * * *").NextAfter(Utc(2026, 1, 1)));
    }

    [Fact]
    public void LatestAtOrBefore_BothDayFieldsRestricted_ReturnsTheLaterOfEither()
    {
        var cron = CronSchedule.Parse("0 0 13 * 5");

        // Tuesday 13 January comes after Friday 9 January; Friday 16 January after the 13th.
        Assert.Equal(Utc(2026, 1, 13), cron.LatestAtOrBefore(Utc(2026, 1, 15)));
        Assert.Equal(Utc(2026, 1, 16), cron.LatestAtOrBefore(Utc(2026, 1, 17)));
    }

    [Fact]
    public void LatestAtOrBefore_DayThatNeverExists_ReturnsNull()
    {
        Assert.Null(CronSchedule.Parse("0 0 31 4 *").LatestAtOrBefore(Utc(2026, 1, 1)));
    }

    [Theory]
    [InlineData("* * * *", "a cron expression has 5 fields (minute hour day-of-month month day-of-week), but '* * * *' has 4")]
    [InlineData("* * * * * *", "has 6")]
    [InlineData("61 * * * *", "invalid minute field '61' in cron expression: '61' is not a number from 0 to 59")]
    [InlineData("0 25 * * *", "invalid hour field '25' in cron expression: '25' is not a number from 0 to 23")]
    [InlineData("0 0 0 * *", "invalid day of month field '0' in cron expression: '0' is not a number from 1 to 31")]
    [InlineData("* * * 13 *", "invalid month field '13' in cron expression: '13' is not a number from 1 to 12")]
    [InlineData("* * * * 8", "invalid day of week field '8' in cron expression: '8' is not a number from 0 to 7")]
    [InlineData("*/0 * * * *", "invalid minute field '*/0' in cron expression: the step after '/' must be a positive number")]
    [InlineData("*/x * * * *", "the step after '/' must be a positive number")]
    [InlineData("10-5 * * * *", "invalid minute field '10-5' in cron expression: the range 10-5 runs backwards")]
    [InlineData("* * * dec-feb *", "the range dec-feb runs backwards")]
    [InlineData("1,,2 * * * *", "'' is not a number from 0 to 59")]
    [InlineData("* * * * monday", "'monday' is not a number from 0 to 7")]
    [InlineData("* * * jan-mon *", "'mon' is not a number from 1 to 12")]
    [InlineData("* * ? * *", "invalid day of month field '?'")]
    [InlineData("* * L * *", "invalid day of month field 'L'")]
    [InlineData("* * 15W * *", "invalid day of month field '15W'")]
    [InlineData("* * * * 5#3", "invalid day of week field '5#3'")]
    [InlineData("* * * * 5L", "invalid day of week field '5L'")]
    [InlineData("H * * * *", "invalid minute field 'H'")]
    [InlineData("@daily", "has 1")]
    [InlineData("-1 * * * *", "'' is not a number from 0 to 59")]
    public void Parse_InvalidExpression_ThrowsFormatExceptionSayingWhy(string expression, string expected)
    {
        var error = Assert.Throws<FormatException>(() => CronSchedule.Parse(expression));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(error.Message, CronSchedule.Check(expression));
    }

    [Theory]
    [InlineData("0 3 * * *")]
    [InlineData("*/15 9-17 * * 1-5")]
    [InlineData("0 0 1 jan,jul sun")]
    [InlineData("5/10 1-9/4 */2 * 0-7")]
    public void Check_ValidExpression_ReturnsNull(string expression)
    {
        Assert.Null(CronSchedule.Check(expression));
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
