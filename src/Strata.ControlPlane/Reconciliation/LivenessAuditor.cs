using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Hosting;
using Strata.Planning.State;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Repairs what <see cref="LivenessAudit"/> finds: a stuck probe loop is given up, a server booting past its grace is
/// failed, and the deployment is handed back to the reconciler, which resumes whatever was left without an owner.
/// Each repair is a <see cref="Kind"/> event, reported once while the same problem persists.
/// </summary>
public sealed class LivenessAuditor(
    ServerLifecycle lifecycle, HealthMonitor health, EventLog events, IOptions<ControlPlaneOptions> options, TimeProvider time)
{
    /// <summary>The kind of the event each repair publishes.</summary>
    public const string Kind = EventKinds.ServerLiveness;

    private ImmutableHashSet<(string Server, LivenessRepair Repair)> _reported = [];

    /// <summary>Audits one deployment and repairs what it finds; true when the deployment needs a reconcile pass.</summary>
    public async Task<bool> AuditAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        var slack = options.Value.LivenessSlack;
        var findings = LivenessAudit.Find(runtime, server => lifecycle.IsOwned(server, slack), health.LastProbe, slack, time.GetUtcNow(), runtime.ReconciledAt ?? default);
        var reported = Volatile.Read(ref _reported);
        foreach (var finding in findings)
        {
            await RepairAsync(runtime, finding, ct).ConfigureAwait(false);
            if (!reported.Contains((finding.Server.Name, finding.Repair)))
            {
                await events.PublishAsync(runtime.Name, Kind, $"{finding.Server.Name}: {finding.Reason}; {Describe(finding.Repair)}",
                    EventSubject.OfServer(finding.Server.Tier, finding.Server.Name), EventSeverity.Warning, ct).ConfigureAwait(false);
            }
        }

        // Only this deployment's entries are replaced: the set remembers what is still wrong, so a problem that comes
        // back after a repair is reported again.
        var servers = runtime.State.Tiers.SelectMany(t => t.Servers).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        ImmutableInterlocked.Update(ref _reported, r => r.Except(r.Where(e => servers.Contains(e.Server))).Union(findings.Select(f => (f.Server.Name, f.Repair))));
        return findings.Count > 0;
    }

    private async Task RepairAsync(DeploymentRuntime runtime, LivenessFinding finding, CancellationToken ct)
    {
        switch (finding.Repair)
        {
            case LivenessRepair.Reprobe:
                health.Abandon(finding.Server.Name);
                break;
            case LivenessRepair.Fail when runtime.State.FindServer(finding.Server.Tier, finding.Server.Name) is { State: ServerStatus.Booting } current:
                // Judged on the state as it is now: the probe may have put it in service since the audit looked.
                health.Stop(current.Name);
                await lifecycle.MarkFailedAsync(runtime, current, finding.Reason, ct).ConfigureAwait(false);
                break;
        }
    }

    private static string Describe(LivenessRepair repair) => repair switch
    {
        LivenessRepair.Reprobe => "probing it again",
        LivenessRepair.Fail => "failing it",
        _ => "reconciling it",
    };
}
