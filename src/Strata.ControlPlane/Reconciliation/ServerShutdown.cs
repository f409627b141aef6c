using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Hosting;
using Strata.Providers;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Stops a server the way its image asks: the <c>stop</c> hook first (PostgreSQL's fast shutdown writes a checkpoint,
/// so a final snapshot starts without crash recovery), then the provider's SIGTERM and SIGKILL after its grace. A hook
/// that fails or outlives <see cref="ControlPlaneOptions.StopHookTimeout"/> is reported and the termination goes on:
/// a server is never kept alive by its own stop hook.
/// </summary>
public sealed partial class ServerShutdown(
    ICloudProvider provider,
    ServerHooks hooks,
    EventLog events,
    IOptions<ControlPlaneOptions> options,
    ILogger<ServerShutdown> logger)
{
    private const string StopHook = "stop";

    /// <summary>Runs the tier's stop hook on the server if it is running, then terminates it.</summary>
    public async Task StopAsync(DeploymentRuntime runtime, string serverId, string tier, CancellationToken ct)
    {
        await RunStopHookAsync(runtime, serverId, tier, ct).ConfigureAwait(false);
        await provider.TerminateAsync(serverId, null, ct).ConfigureAwait(false);
    }

    private async Task RunStopHookAsync(DeploymentRuntime runtime, string serverId, string tierName, CancellationToken ct)
    {
        var tier = runtime.Desired.Spec.FindTier(tierName);
        if (tier is null || ServerHooks.Find(runtime, tier, StopHook) is null)
        {
            return;
        }

        // A server that is not running has nothing to shut down cleanly.
        if (await provider.DescribeServerAsync(serverId, ct).ConfigureAwait(false) is not { State: ServerInstanceState.Running } instance)
        {
            return;
        }

        var timeout = options.Value.StopHookTimeout;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        string? problem;
        try
        {
            // Stopped at the limit on its machine too, which may be a host's: it must not outlive the server it stops.
            await hooks.RunAsync(runtime, tier, instance, StopHook, timeout, limit.Token).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            problem = $"the stop hook of {serverId} ran longer than {timeout.TotalSeconds:0}s";
        }
        catch (Exception ex) when (ex is BackupHookException or InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            problem = ex.Message;
        }

        LogStopHookFailed(logger, serverId, problem);
        await events.PublishAsync(runtime.Name, EventKinds.ServerStop, $"{problem}; stopping it with signals", EventSubject.OfServer(tierName, serverId),
            EventSeverity.Warning, ct).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Stop hook of {Server} did not succeed: {Problem}")]
    private static partial void LogStopHookFailed(ILogger logger, string server, string problem);
}
