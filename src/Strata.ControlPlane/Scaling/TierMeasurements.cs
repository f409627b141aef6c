using Strata.ControlPlane.Reconciliation;
using Strata.LoadBalancing;
using Strata.Planning;
using Strata.Scaling;

namespace Strata.ControlPlane.Scaling;

/// <summary>
/// Measures a tier for its autoscaler: CPU and memory of each server's process tree from /proc, and request rate,
/// p99 latency and error rate from the load balancers that send to it, as differences since the last measurement.
/// </summary>
public sealed class TierMeasurements(ILoadBalancerDriverRegistry drivers, LoadBalancerCoordinator loadBalancers, TimeProvider time)
{
    private readonly ProcessTreeSampler _sampler = new(new ProcessTreeSamplerOptions(), time);
    private readonly Dictionary<string, LoadBalancerStats> _lastStats = new(StringComparer.Ordinal);
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
        _lastStats.Clear();
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
        double rate = 0, requests = 0, failed = 0, p99 = 0;
        var measured = false;
        foreach (var lb in runtime.State.LoadBalancers.Where(l => l.TargetTier == tier.LogicalName))
        {
            if (loadBalancers.Find(lb.PhysicalName) is not { State: LoadBalancing.LoadBalancerState.Running } instance
                || await drivers.Get(lb.Driver).GetStatsAsync(instance, ct).ConfigureAwait(false) is not { } stats)
            {
                continue;
            }

            if (_lastStats.TryGetValue(lb.PhysicalName, out var previous))
            {
                var elapsed = stats.Timestamp - previous.Timestamp;
                foreach (var member in stats.Members)
                {
                    var before = previous.Members.FirstOrDefault(m => m.Name == member.Name) ?? member with { Requests = 0, Errors = 0 };
                    rate += elapsed > TimeSpan.Zero ? member.RequestsPerSecondSince(before, elapsed) : 0;
                    requests += Math.Max(0, member.Requests - before.Requests);
                    failed += Math.Max(0, member.Errors - before.Errors);
                    p99 = Math.Max(p99, member.LatencyP99.TotalMilliseconds);
                }

                measured = true;
            }

            _lastStats[lb.PhysicalName] = stats;
        }

        if (!measured)
        {
            return (null, null, null);
        }

        return (rate / inService, p99, requests > 0 ? Math.Min(100, failed / requests * 100) : 0);
    }
}
