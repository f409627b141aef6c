namespace Strata.LoadBalancing.Proxy.Membership;

/// <summary>
/// Retires draining backends once they are drained: every <paramref name="interval"/> while any member drains, and
/// not at all otherwise. An idle proxy arms no timer for it, so it wakes no thread (a woken thread-pool worker spins
/// before it sleeps again: ten sweeps a second were most of an idle proxy's processor time).
/// </summary>
internal sealed class DrainSweeper(MemberTable table, TimeSpan interval, TimeProvider timeProvider, Action<string> removed)
{
    /// <summary>Sweeps until <paramref name="ct"/> is cancelled, then throws <see cref="OperationCanceledException"/>.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (true)
        {
            await table.WhenDrainingAsync(ct).ConfigureAwait(false);
            await Task.Delay(interval, timeProvider, ct).ConfigureAwait(false);
            foreach (var name in table.Sweep())
            {
                removed(name);
            }
        }
    }
}
