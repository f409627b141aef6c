using Microsoft.Extensions.Hosting;
using Strata.Providers.Hosts.Fleet;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Has the fleet connect to every registered host when the control plane starts (trusting only recorded host keys,
/// retrying while a host cannot be reached), and records each change of a host's state or agent in the inventory, so
/// that <c>strata hosts</c> shows the last one known even while a host cannot be reached.
/// </summary>
internal sealed class HostMonitor(IHostInventory inventory, HostFleet fleet) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var recording = RecordChangesAsync(stoppingToken);
        foreach (var host in await inventory.ListAsync(stoppingToken).ConfigureAwait(false))
        {
            fleet.Keep(host.Registration);
        }

        await recording.ConfigureAwait(false);
    }

    private async Task RecordChangesAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var status in fleet.WatchAsync(ct).ConfigureAwait(false))
            {
                await inventory.RecordAsync(status.Name, status.State, status.Agent, status.LastHeartbeat, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
