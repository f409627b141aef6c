using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Health;
using Strata.ControlPlane.Hosting;
using Strata.Providers;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// The controller: a de-duplicating queue of deployment names, fed by changes (applies, health verdicts, finished
/// operations) and by a periodic resync. A pass that fails is retried on the next resync and reported as an event.
/// </summary>
public sealed partial class ReconcileLoop : BackgroundService
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<string> _queued = [];
    private readonly DeploymentRegistry _registry;
    private readonly DeploymentReconciler _reconciler;
    private readonly ICloudProvider _provider;
    private readonly EventLog _events;
    private readonly DeploymentPhaseEvents _phases;
    private readonly ControlPlaneOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ReconcileLoop> _logger;

    public ReconcileLoop(DeploymentRegistry registry, DeploymentReconciler reconciler, HealthMonitor health, LoadBalancerChecks loadBalancerChecks,
        ICloudProvider provider, EventLog events, DeploymentPhaseEvents phases, IOptions<ControlPlaneOptions> options, TimeProvider time, ILogger<ReconcileLoop> logger)
    {
        _phases = phases;
        _registry = registry;
        _reconciler = reconciler;
        _provider = provider;
        _events = events;
        _options = options.Value;
        _time = time;
        _logger = logger;
        reconciler.Changed += Enqueue;
        health.Changed += Enqueue;
        loadBalancerChecks.Changed += Enqueue;
        registry.Changed += Enqueue;
        // A server that exits is failed and replaced on the pass this starts, not at the next probe or resync.
        provider.ServerStopped += stopped => Enqueue(stopped.Deployment);
    }

    public void Enqueue(string deployment)
    {
        lock (_queued)
        {
            if (!_queued.Add(deployment))
            {
                return;
            }
        }

        _queue.Writer.TryWrite(deployment);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _registry.LoadAsync(stoppingToken).ConfigureAwait(false);
        using var resync = new PeriodicTimer(_options.ResyncInterval, _time);
        _ = Task.Run(() => ResyncAsync(resync, stoppingToken), stoppingToken);
        await foreach (var name in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            lock (_queued)
            {
                _queued.Remove(name);
            }

            await ReconcileOneAsync(name, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task ResyncAsync(PeriodicTimer timer, CancellationToken ct)
    {
        foreach (var runtime in _registry.All)
        {
            Enqueue(runtime.Name);
        }

        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            foreach (var runtime in _registry.All)
            {
                Enqueue(runtime.Name);
            }

            await _provider.RotateLogsAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task ReconcileOneAsync(string name, CancellationToken ct)
    {
        if (_registry.Find(name) is not { } runtime)
        {
            return;
        }

        try
        {
            await _reconciler.ReconcileAsync(runtime, ct).ConfigureAwait(false);
            if (runtime.IsDeleting && runtime.State.Tiers.All(t => t.Servers.Count == 0) && runtime.State.LoadBalancers.Count == 0)
            {
                await _registry.RemoveAsync(runtime, ct).ConfigureAwait(false);
                _phases.Forget(name);
            }
            else
            {
                await _phases.ObserveAsync(runtime, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && (ex is not OperationCanceledException || !ct.IsCancellationRequested))
        {
            // Any failure of one deployment's pass, a defect included, is reported and retried on the next pass: an
            // exception escaping here would stop the control plane, and every deployment's recovery with it (and,
            // restarted by its service manager, it would stop again on the same pass).
            LogPassFailed(_logger, ex, name);
            await _events.PublishAsync(name, EventKinds.DeploymentError, ex.Message, severity: EventSeverity.Error, cancellationToken: ct).ConfigureAwait(false);
        }
        finally
        {
            // A deployment whose passes keep failing is audited all the same: the audit is the net for what they leave.
            runtime.MarkReconciled(_time.GetUtcNow());
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Reconciling {Deployment} failed; retrying on the next pass")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, string deployment);
}
