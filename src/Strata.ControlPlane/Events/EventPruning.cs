using Microsoft.Extensions.Hosting;

namespace Strata.ControlPlane;

/// <summary>Prunes events by age at start and then every <see cref="EventRetentionOptions.PruneInterval"/>.</summary>
internal sealed class EventPruning(EventLog events, Microsoft.Extensions.Options.IOptions<EventRetentionOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PruneInterval, time);
        do
        {
            await events.PruneAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
