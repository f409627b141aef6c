using Strata.Backups.Retention;

namespace Strata.Backups.Tests.Retention;

[Trait("kind", "unit")]
public sealed class RetentionPolicyTests
{
    private static readonly DateTimeOffset s_start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Four backups a day (00, 06, 12, 18 UTC) for 30 days: ids "d{day}-h{hour}".
    private static readonly List<RetentionCandidate> s_month = [.. Enumerable.Range(0, 30)
        .SelectMany(day => new[] { 0, 6, 12, 18 }.Select(hour => new RetentionCandidate($"d{day:D2}-h{hour:D2}", s_start.AddDays(day).AddHours(hour))))];

    [Fact]
    public void SelectKept_KeepLast_KeepsNewest()
    {
        var kept = new RetentionPolicy(KeepLast: 3).SelectKept(s_month);

        Assert.Equal(["d29-h06", "d29-h12", "d29-h18"], kept.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SelectKept_Daily_KeepsNewestOfEachDay()
    {
        var kept = new RetentionPolicy(KeepLast: 0, KeepDaily: 3).SelectKept(s_month);

        Assert.Equal(["d27-h18", "d28-h18", "d29-h18"], kept.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SelectKept_LastDailyWeekly_KeepsUnion()
    {
        // 2026-01-01 is a Thursday: ISO weeks end on Sundays 4, 11, 18, 25 January (days 3, 10, 17, 24).
        var kept = new RetentionPolicy(KeepLast: 2, KeepDaily: 2, KeepWeekly: 3).SelectKept(s_month);

        Assert.Equal(["d17-h18", "d24-h18", "d28-h18", "d29-h12", "d29-h18"], kept.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SelectKept_FewerThanCounts_KeepsAll()
    {
        var kept = new RetentionPolicy(KeepLast: 10, KeepDaily: 7).SelectKept(s_month.Take(3));

        Assert.Equal(3, kept.Count);
    }

    [Theory]
    [InlineData(0, 0, 0, "at least one")]
    [InlineData(-1, 2, 0, "KeepLast must not be negative")]
    public void SelectKept_InvalidPolicy_Throws(int last, int daily, int weekly, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new RetentionPolicy(last, daily, weekly).SelectKept(s_month));

        Assert.Contains(expected, error.Message);
    }
}
