using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Hosting;
using Strata.Providers;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Runs the <see cref="LivenessAuditor"/> over every deployment each <see cref="ControlPlaneOptions.LivenessAuditInterval"/>
/// and queues a reconcile pass for a deployment it repaired.
/// </summary>
public sealed partial class LivenessAuditLoop(
    DeploymentRegistry registry, LivenessAuditor auditor, ReconcileLoop reconcile, IOptions<ControlPlaneOptions> options, TimeProvider time, ILogger<LivenessAuditLoop> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LivenessAuditInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            // A deployment no pass has resumed since this control plane started has nothing overdue yet.
            foreach (var runtime in registry.All.Where(r => !r.IsDeleting && r.ReconciledAt is not null))
            {
                await AuditAsync(runtime, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task AuditAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        try
        {
            if (await auditor.AuditAsync(runtime, ct).ConfigureAwait(false))
            {
                reconcile.Enqueue(runtime.Name);
            }
        }
        catch (Exception ex) when (ex is IOException or ProviderException or InvalidOperationException)
        {
            // As a failed reconcile pass: the next audit tries again.
            LogAuditFailed(logger, ex, runtime.Name);
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "Auditing the liveness of {Deployment} failed; retrying on the next audit")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string deployment);
}
