using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Deployments;

namespace Strata.ControlPlane.Events;

/// <summary>Prunes events by age once the state store is loaded, and then every <see cref="EventRetentionOptions.PruneInterval"/>.</summary>
internal sealed class EventPruning(DeploymentRegistry registry, EventLog events, IOptions<EventRetentionOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The store creates its tables when the registry loads it.
        await registry.WhenLoaded.WaitAsync(stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(options.Value.PruneInterval, time);
        do
        {
            await events.PruneAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
