using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Providers.Probes;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Tests.Health;

/// <summary>
/// The control plane's health monitor and load-balancer checks over a test's probe and clock, with everything else
/// (the event log, the failure path) from the control plane's real services.
/// </summary>
internal sealed class ProbingServices(
    ControlPlaneServices services, IHealthProbe probe, TimeProvider clock, ControlPlaneOptions? options = null, IHostedProbes? hosted = null)
{
    public ProbeSchedule Schedule { get; } = new(probe, Options.Create(options ?? new ControlPlaneOptions()), clock);

    public LoadBalancerChecks NewChecks() => new(Schedule, services.Get<EventLog>(), clock, NullLogger<LoadBalancerChecks>.Instance);

    public HealthMonitor NewMonitor() =>
        new(Schedule, NewChecks(), services.Get<IServerFailures>(), hosted ?? new LocalProbes(), services.Get<EventLog>(), clock, NullLogger<HealthMonitor>.Instance);
}

/// <summary>Answers every probe with <see cref="Next"/> and records what it was asked to probe, and when.</summary>
internal sealed class ScriptedProbe(TimeProvider clock) : IHealthProbe
{
    private readonly Lock _gate = new();
    private readonly List<ProbeCall> _seen = [];

    public ProbeResult Next { get; set; } = ProbeResult.Pass;

    public IReadOnlyList<ProbeCall> Seen
    {
        get
        {
            lock (_gate)
            {
                return [.. _seen];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _seen.Count;
            }
        }
    }

    public Task<ProbeResult> ProbeAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _seen.Add(new ProbeCall(check, target, clock.GetUtcNow()));
        }

        return Task.FromResult(Next);
    }
}

/// <summary>One probe a <see cref="ScriptedProbe"/> was asked for: of what, and when on the test's clock.</summary>
internal sealed record ProbeCall(HealthCheckSpec Check, ProbeTarget Target, DateTimeOffset At);
