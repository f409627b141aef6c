namespace Strata.Common.Text;

/// <summary>An age or a span as events and status lines show it: <c>2h05m</c>, <c>4m10s</c>, <c>12s</c>.</summary>
public static class Ages
{
    public static string Of(TimeSpan age) => age switch
    {
        { TotalHours: >= 1 } => $"{(long)age.TotalHours}h{age.Minutes:00}m",
        { TotalMinutes: >= 1 } => $"{age.Minutes}m{age.Seconds:00}s",
        _ => $"{Math.Max(0, age.Seconds)}s",
    };
}
