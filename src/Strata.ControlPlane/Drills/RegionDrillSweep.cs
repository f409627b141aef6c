using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.ControlPlane.Deployments;

namespace Strata.ControlPlane.Drills;

/// <summary>
/// Removes what a region drill left when the control plane stopped in the middle of it: a minute after the start (the
/// hosts have connected by then, so their servers are listed) and every ten minutes after, unless a drill runs.
/// </summary>
internal sealed partial class RegionDrillSweep(RegionDrill drill, DeploymentRegistry registry, TimeProvider time, ILogger<RegionDrillSweep> logger) : BackgroundService
{
    private static readonly TimeSpan s_first = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan s_every = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await registry.WhenLoaded.WaitAsync(stoppingToken).ConfigureAwait(false);
            await Task.Delay(s_first, time, stoppingToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(s_every, time);
            do
            {
                await SweepOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task SweepOnceAsync(CancellationToken ct)
    {
        try
        {
            if (await drill.SweepAsync(ct).ConfigureAwait(false) is > 0 and var removed)
            {
                LogSwept(logger, removed);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever it was, the control plane runs on, and the next sweep tries again.
            LogSweepFailed(logger, ex);
        }
    }

    [LoggerMessage(EventId = 451, Level = LogLevel.Information, Message = "Removed what interrupted region drills left behind ({Count} of them)")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(EventId = 452, Level = LogLevel.Warning, Message = "Could not remove what an interrupted region drill left; tried again later")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
