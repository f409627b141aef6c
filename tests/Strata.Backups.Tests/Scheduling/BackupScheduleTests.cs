using Strata.Backups.Scheduling;

namespace Strata.Backups.Tests.Scheduling;

[Trait("kind", "unit")]
public sealed class BackupScheduleTests
{
    private static readonly DateTimeOffset s_at = new(2026, 3, 14, 10, 17, 30, TimeSpan.Zero); // a Saturday

    [Theory]
    [InlineData("every: 6h", "2026-03-14T12:00:00Z")]
    [InlineData("every 30m", "2026-03-14T10:30:00Z")]
    [InlineData("every: 1d", "2026-03-15T00:00:00Z")]
    [InlineData("0 3 * * *", "2026-03-15T03:00:00Z")]
    [InlineData("0 12 * * 7", "2026-03-15T12:00:00Z")]
    [InlineData("0 3 * * mon-fri", "2026-03-16T03:00:00Z")]
    [InlineData("30 4 1 jan,apr *", "2026-04-01T04:30:00Z")]
    [InlineData("0 0 */2 * 1", "2026-03-23T00:00:00Z")]
    public void Next_Schedule_IsFirstDueTimeAfter(string schedule, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected), BackupSchedule.Parse(schedule).Next(s_at));
    }

    [Fact]
    public void Next_Repeated_AdvancesStrictly()
    {
        var schedule = BackupSchedule.Parse("every: 6h");

        var first = schedule.Next(s_at);

        Assert.Equal(first.AddHours(6), schedule.Next(first));
    }

    [Theory]
    [InlineData("every: soon", "every: <duration>")]
    [InlineData("every: 10s", "at least 1 minute")]
    [InlineData("* * * *", "5 fields")]
    [InlineData("60 * * * *", "minute field '60'")]
    [InlineData("* * * 13 *", "month field '13'")]
    [InlineData("0 3 * * L", "day of week field 'L'")]
    [InlineData("*/0 * * * *", "positive")]
    [InlineData("5-1 * * * *", "backwards")]
    public void Parse_Invalid_ThrowsSayingWhy(string schedule, string expected)
    {
        var error = Assert.Throws<FormatException>(() => BackupSchedule.Parse(schedule));

        Assert.Contains(expected, error.Message);
        Assert.Contains($"'{schedule}'", error.Message);
    }

    [Fact]
    public void Next_ImpossibleDate_ThrowsNamingSchedule()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BackupSchedule.Parse("0 0 30 2 *").Next(s_at));

        Assert.Contains("never falls due", error.Message);
    }
}
