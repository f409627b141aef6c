using Strata.ControlPlane.Reconciliation;
using Strata.LoadBalancing;
using Strata.Planning.State;
using Strata.Scaling.Metrics;

namespace Strata.ControlPlane.Scaling;

/// <summary>
/// Measures a tier for its autoscaler: CPU and memory of each server's process tree from /proc, and request rate,
/// p99 latency and error rate from the load balancers that send to it, as differences since the last measurement.
/// </summary>
public sealed class TierMeasurements(LoadBalancerCoordinator loadBalancers, TimeProvider time)
{
    private readonly ProcessTreeSampler _sampler = new(new ProcessTreeSamplerOptions(), time);
    private readonly TrafficMeter _meter = new();
    private ProcessTreeSnapshot? _lastSnapshot;

    /// <summary>Samples every server process once, for all tiers of all deployments measured in this tick.</summary>
    public ProcessTreeSnapshot SampleProcesses(IEnumerable<int> pids)
    {
        var snapshot = _sampler.Sample(pids);
        _lastSnapshot ??= snapshot;
        return snapshot;
    }

    public void CompleteTick(ProcessTreeSnapshot snapshot) => _lastSnapshot = snapshot;

    /// <summary>Drops the earlier samples, so that the next measurement starts a new window.</summary>
    public void Forget()
    {
        _lastSnapshot = null;
        _meter.Forget();
    }

    public async Task<TierMetrics> MeasureAsync(DeploymentRuntime runtime, TierState tier, ProcessTreeSnapshot snapshot, CancellationToken ct)
    {
        var earlier = _lastSnapshot ?? snapshot;
        var servers = tier.Servers
            .Where(s => s.State == ServerStatus.InService && s.ProcessId is not null)
            .Select(s => snapshot.MeasureServer(s.Name, s.ProcessId!.Value, earlier))
            .OfType<ServerMetrics>()
            .ToList();
        var (rate, p99, errors) = await MeasureTrafficAsync(runtime, tier, ct).ConfigureAwait(false);
        return new TierMetrics
        {
            Tier = tier.LogicalName,
            Timestamp = snapshot.Timestamp,
            Window = snapshot.Timestamp - earlier.Timestamp,
            Servers = servers,
            RequestsPerSecondPerServer = rate,
            LatencyP99Milliseconds = p99,
            ErrorPercent = errors,
        };
    }

    private async Task<(double? Rate, double? P99, double? Errors)> MeasureTrafficAsync(DeploymentRuntime runtime, TierState tier, CancellationToken ct)
    {
        var inService = Math.Max(1, tier.Servers.Count(s => s.State == ServerStatus.InService));
        var windows = new List<TrafficRates>();
        foreach (var lb in runtime.State.LoadBalancers.Where(l => l.TargetTier == tier.LogicalName))
        {
            if (await loadBalancers.StatsAsync(lb, ct).ConfigureAwait(false) is { } stats
                && _meter.Observe(lb.PhysicalName, stats) is { } rates)
            {
                windows.Add(rates);
            }
        }

        if (windows.Count == 0)
        {
            return (null, null, null);
        }

        // Errors are weighed by requests across load balancers, as one load balancer's would be across its members.
        var requests = windows.Sum(w => w.Requests + w.NoMemberResponses);
        var errors = requests > 0 ? 100.0 * windows.Sum(w => w.Errors) / requests : 0;
        var p99 = windows.SelectMany(w => w.Members).Select(m => m.Current.LatencyP99.TotalMilliseconds).DefaultIfEmpty(0).Max();
        return (windows.Sum(w => w.RequestsPerSecond) / inService, p99, errors);
    }
}
