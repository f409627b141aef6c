using Microsoft.Extensions.Hosting;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Reconciliation;
using Strata.Providers.Hosts.Fleet;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Has the fleet connect to every registered host when the control plane starts (trusting only recorded host keys,
/// retrying while a host cannot be reached), and records each change of a host's state or agent in the inventory, so
/// that <c>strata hosts</c> shows the last one known even while a host cannot be reached. A change of a host's state
/// has every deployment reconciled at once: a host turned unreachable takes its servers out of the load balancers
/// then, not at the next periodic pass, and one heard from again puts them back; a host whose agent connects (first or
/// again) has the operations that failed while it was away tried again at once.
/// </summary>
internal sealed class HostMonitor(
    IHostInventory inventory, HostFleet fleet, DeploymentRegistry deployments, ServerOperations operations, ReconcileTriggers triggers) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        fleet.AgentConnected += RetryOperations;
        using var unsubscribe = stoppingToken.Register(() => fleet.AgentConnected -= RetryOperations);
        var recording = RecordChangesAsync(stoppingToken);
        foreach (var host in await inventory.ListAsync(stoppingToken).ConfigureAwait(false))
        {
            // Before it connects, so that a draining host is never ready for placement in between.
            fleet.SetDraining(host.Registration.Name, host.Draining);
            fleet.Keep(host.Registration);
        }

        await recording.ConfigureAwait(false);
    }

    /// <summary>
    /// A host's agent connected (first, or again): the operations that failed while it could not be reached
    /// (terminations of its replaced servers, launches placed on it) waited out a backoff that grew with each failure,
    /// holding ports a replacement needs; they are tried at once.
    /// </summary>
    private void RetryOperations(string host)
    {
        operations.RetryNow();
        foreach (var runtime in deployments.All)
        {
            triggers.Now(runtime.Name);
        }
    }

    private async Task RecordChangesAsync(CancellationToken ct)
    {
        var states = new Dictionary<string, HostState>(StringComparer.Ordinal);
        try
        {
            await foreach (var status in fleet.WatchAsync(ct).ConfigureAwait(false))
            {
                await inventory.RecordAsync(status.Name, status.State, status.Agent, status.LastHeartbeat, ct).ConfigureAwait(false);
                if (states.TryGetValue(status.Name, out var before) && before != status.State)
                {
                    foreach (var runtime in deployments.All)
                    {
                        triggers.Now(runtime.Name);
                    }
                }

                states[status.Name] = status.State;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
