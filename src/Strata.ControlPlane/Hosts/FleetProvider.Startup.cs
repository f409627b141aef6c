namespace Strata.ControlPlane.Hosts;

/// <summary>The first listings of a control plane that starts with hosts registered.</summary>
internal sealed partial class FleetProvider
{
    private static readonly TimeSpan s_firstListingPoll = TimeSpan.FromMilliseconds(200);
    private DateTimeOffset? _firstAsked;
    private volatile bool _everyHostListed;

    /// <summary>
    /// Waits, when the control plane has just started, until every registered host has been listed once, or for
    /// <see cref="Providers.Hosts.Fleet.HostsOptions.HostTimeout"/> from the first listing asked for. Until its agent
    /// connects a host's servers are unknown: a listing without them would have every one of them taken for gone,
    /// failed and replaced, and then fenced when the host connects. A host still silent after the wait is unreachable:
    /// listings go on without it, and a server it may run is not taken for gone until it is lost (see
    /// <see cref="WhyUnaccounted"/>).
    /// </summary>
    private async Task AwaitFirstListingsAsync(CancellationToken ct)
    {
        _firstAsked ??= time.GetUtcNow();
        while (!_everyHostListed)
        {
            var hosts = await inventory.ListAsync(ct).ConfigureAwait(false);
            await RefreshAsync(ct).ConfigureAwait(false);
            if (hosts.All(h => _listings.Hosts.ContainsKey(h.Registration.Name) || _removed.Contains(h.Registration.Name))
                || time.GetUtcNow() - _firstAsked >= fleet.Options.HostTimeout)
            {
                _everyHostListed = true;
                return;
            }

            await Task.Delay(s_firstListingPoll, time, ct).ConfigureAwait(false);
        }
    }
}
