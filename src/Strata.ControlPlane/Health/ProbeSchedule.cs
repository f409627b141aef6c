using Microsoft.Extensions.Options;
using Strata.ControlPlane.Hosting;
using Strata.Planning.State;
using Strata.Providers.Probes;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Health;

/// <summary>
/// When health probes run and how many at once. Probes of one interval are spread over it: each probe loop has a
/// stable phase within the interval, taken from its key, on a grid of <see cref="ControlPlaneOptions.ProbeSpreadStep"/>.
/// Probes that all fired on the same tick made 200 single-threaded apps answer at the same instant on two busy cores,
/// and healthy ones timed out. At most <see cref="Limit"/> probes run at once (<see cref="ControlPlaneOptions.ProbesPerCore"/>
/// per core), each on a probe thread of its own: a probe's timeout starts once it has one, so the wait for one never counts against the server, and
/// the control plane is never so busy with probes in flight that it cannot read their answers in time. Server checks
/// and load-balancer checks run their probes through <see cref="RunAsync"/>, and so share the one bound.
/// </summary>
public sealed class ProbeSchedule
{
    private readonly IHealthProbe _probe;
    private readonly TimeProvider _time;
    private readonly ProbeWorkers _workers;
    private readonly TimeSpan _step;
    private readonly TimeSpan _bootInterval;

    public ProbeSchedule(IHealthProbe probe, IOptions<ControlPlaneOptions> options, TimeProvider time)
    {
        _probe = probe;
        _time = time;
        var value = options.Value;
        _workers = new ProbeWorkers(Math.Max(1, value.Cores ?? Environment.ProcessorCount) * Math.Max(1, value.ProbesPerCore));
        _step = value.ProbeSpreadStep;
        _bootInterval = value.BootProbeInterval;
    }

    /// <summary>How many probes may run at once.</summary>
    public int Limit => _workers.Limit;

    /// <summary>The time between probes of a booting server (see <see cref="ControlPlaneOptions.BootProbeInterval"/>).</summary>
    public TimeSpan BootInterval => _bootInterval;

    /// <summary>The grid probes are spread over their interval on (see <see cref="ControlPlaneOptions.ProbeSpreadStep"/>).</summary>
    public TimeSpan SpreadStep => _step;

    /// <summary>Probes waiting for a slot now.</summary>
    public int Waiting => _workers.Waiting;

    /// <summary>
    /// Runs one probe on a probe thread (<see cref="ProbeWorkers"/>) once <paramref name="delay"/> has passed: its
    /// timeout starts once it has a thread. The caller goes on on that thread when the probe is done, up to its next
    /// wait, so that a probe loop needs no thread-pool thread at all: it must hand anything slow (a state change to
    /// record) to the thread pool itself. The wait is a timer of the clock that only hands the probe to a thread.
    /// </summary>
    public Task<ScheduledProbe> RunAsync(HealthCheckSpec check, ProbeTarget target, TimeSpan delay, CancellationToken ct)
    {
        var probe = new PendingProbe(this, check, target, ct);
        if (delay <= TimeSpan.Zero)
        {
            probe.Post();
        }
        else
        {
            probe.PostAfter(delay);
        }

        return probe.Done;
    }

    /// <summary>Runs one probe as soon as a probe thread is free (see <see cref="RunAsync(HealthCheckSpec, ProbeTarget, TimeSpan, CancellationToken)"/>).</summary>
    public Task<ScheduledProbe> RunAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken ct) => RunAsync(check, target, TimeSpan.Zero, ct);

    /// <summary>
    /// One probe from its wait until its result: cancelled with its token while it waits for its time; one that waits
    /// for a thread, or runs, ends when a thread reaches it, or by the check's timeout.
    /// </summary>
    private sealed class PendingProbe(ProbeSchedule schedule, HealthCheckSpec check, ProbeTarget target, CancellationToken ct)
    {
        // Continuations run on the probe thread: that the loop needs no thread-pool thread to go on is the point.
        private readonly TaskCompletionSource<ScheduledProbe> _done = new();
        private ITimer? _timer;
        private CancellationTokenRegistration _cancel;

        public Task<ScheduledProbe> Done => _done.Task;

        public void PostAfter(TimeSpan delay)
        {
            // Registered before the timer exists, so that the probe it posts, however soon, always finds the
            // registration to remove: one left behind would stay on the loop's token for the server's life.
            _cancel = ct.UnsafeRegister(static state => ((PendingProbe)state!).Cancel(), this);
            _timer = schedule._time.CreateTimer(static state => ((PendingProbe)state!).Due(), this, delay, Timeout.InfiniteTimeSpan);
        }

        public void Post() => schedule._workers.Post(Run);

        private void Due()
        {
            _timer?.Dispose();
            Post();
        }

        private void Cancel()
        {
            _timer?.Dispose();
            _done.TrySetCanceled(ct);
        }

        private void Run()
        {
            _cancel.Dispose();
            if (ct.IsCancellationRequested)
            {
                _done.TrySetCanceled(ct);
                return;
            }

            try
            {
                var started = schedule._time.GetUtcNow();
                var result = schedule._probe.Probe(check, target, ct);
                _done.TrySetResult(new ScheduledProbe(result, started, schedule._time.GetUtcNow()));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                _done.TrySetCanceled(ct);
            }
            catch (Exception ex)
            {
                _done.TrySetException(ex);
            }
        }
    }

    /// <summary>
    /// The time until <paramref name="key"/>'s next probe: a booting server every <see cref="ControlPlaneOptions.BootProbeInterval"/>
    /// (when shorter than the check's), otherwise at its phase of <paramref name="interval"/>.
    /// </summary>
    public TimeSpan NextDelay(string key, ServerStatus state, TimeSpan interval, DateTimeOffset now) =>
        state == ServerStatus.Booting && _bootInterval < interval ? _bootInterval : ProbePhase.Until(interval, ProbePhase.Of(key, interval, _step), now);
}

/// <summary>What a probe found, and when it held its slot: <see cref="Started"/> once it had one, until <see cref="Finished"/>.</summary>
public readonly record struct ScheduledProbe(ProbeResult Result, DateTimeOffset Started, DateTimeOffset Finished);
