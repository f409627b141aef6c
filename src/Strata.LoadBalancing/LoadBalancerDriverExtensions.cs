namespace Strata.LoadBalancing;

public static class LoadBalancerDriverExtensions
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Waits until the named member has left the load balancer (its in-flight requests finished or the drain timeout
    /// passed), so its server can be terminated. Returns false when <paramref name="timeout"/> passes first.
    /// </summary>
    public static async Task<bool> WaitUntilDrainedAsync(
        this ILoadBalancerDriver driver, LoadBalancerInstance instance, string memberName, TimeSpan timeout,
        TimeProvider timeProvider, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var deadline = timeProvider.GetTimestamp() + (long)(timeout.TotalSeconds * timeProvider.TimestampFrequency);
        while (true)
        {
            var stats = await driver.GetStatsAsync(instance, ct).ConfigureAwait(false);
            if (stats is null || !stats.Members.Any(m => m.Name == memberName))
            {
                return true;
            }

            if (timeProvider.GetTimestamp() >= deadline)
            {
                return false;
            }

            await Task.Delay(s_poll, timeProvider, ct).ConfigureAwait(false);
        }
    }
}
