using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Ssh;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Connects to every registered host when the control plane starts (trusting only recorded host keys), and records
/// each change of a host's state or agent in the inventory, so that <c>strata hosts</c> shows the last one known even
/// while a host cannot be reached.
/// </summary>
internal sealed partial class HostMonitor(IHostInventory inventory, HostFleet fleet, ILogger<HostMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var recording = RecordChangesAsync(stoppingToken);
        var hosts = await inventory.ListAsync(stoppingToken).ConfigureAwait(false);
        await Task.WhenAll(hosts.Select(h => ReconnectAsync(h.Registration, stoppingToken)).Append(recording)).ConfigureAwait(false);
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

    private async Task ReconnectAsync(HostRegistration host, CancellationToken ct)
    {
        try
        {
            await fleet.ConnectAsync(host, acceptNewHostKey: false, ct).ConfigureAwait(false);
        }
        catch (HostConnectException ex)
        {
            LogReconnectFailed(logger, host.Name, ex.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Could not reconnect to host {Host}: {Reason}")]
    private static partial void LogReconnectFailed(ILogger logger, string host, string reason);
}
