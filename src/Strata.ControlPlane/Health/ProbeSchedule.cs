using Microsoft.Extensions.Options;
using Strata.ControlPlane.Hosting;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Health;

/// <summary>
/// When health probes run and how many at once. Probes of one interval are spread over it: each probe loop has a
/// stable phase within the interval, taken from its key, on a grid of <see cref="ControlPlaneOptions.ProbeSpreadStep"/>.
/// Probes that all fired on the same tick made 200 single-threaded apps answer at the same instant on two busy cores,
/// and healthy ones timed out. At most <see cref="Limit"/> probes run at once (<see cref="ControlPlaneOptions.ProbesPerCore"/>
/// per core): a probe's timeout starts once it holds a slot, so the wait for one never counts against the server, and
/// the control plane is never so busy with probes in flight that it cannot read their answers in time. Server checks
/// and load-balancer checks run their probes through <see cref="RunAsync"/>, and so share the one bound.
/// </summary>
public sealed class ProbeSchedule
{
    private readonly IHealthProbe _probe;
    private readonly TimeProvider _time;
    // Never disposed: its wait handle is never asked for, so it holds nothing to free, and probe loops still winding
    // down when the control plane stops would find it disposed and log their last wait as an error.
    private readonly SemaphoreSlim _slots;
    private readonly TimeSpan _step;
    private readonly TimeSpan _bootInterval;
    private int _waiting;

    public ProbeSchedule(IHealthProbe probe, IOptions<ControlPlaneOptions> options, TimeProvider time)
    {
        _probe = probe;
        _time = time;
        var value = options.Value;
        Limit = Math.Max(1, value.Cores ?? Environment.ProcessorCount) * Math.Max(1, value.ProbesPerCore);
        _slots = new SemaphoreSlim(Limit, Limit);
        _step = value.ProbeSpreadStep;
        _bootInterval = value.BootProbeInterval;
    }

    /// <summary>How many probes may run at once.</summary>
    public int Limit { get; }

    /// <summary>Probes waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Waits for a slot to run one probe in; dispose the result to give it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _slots.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        return new Slot(_slots);
    }

    /// <summary>Runs one probe in a slot: its timeout starts once it holds one.</summary>
    public async Task<ScheduledProbe> RunAsync(HealthCheckSpec check, ProbeTarget target, CancellationToken ct)
    {
        using (await EnterAsync(ct).ConfigureAwait(false))
        {
            var started = _time.GetUtcNow();
            var result = await _probe.ProbeAsync(check, target, ct).ConfigureAwait(false);
            return new ScheduledProbe(result, started, _time.GetUtcNow());
        }
    }

    /// <summary>
    /// The time until <paramref name="key"/>'s next probe: a booting server every <see cref="ControlPlaneOptions.BootProbeInterval"/>
    /// (when shorter than the check's), otherwise at its phase of <paramref name="interval"/>.
    /// </summary>
    public TimeSpan NextDelay(string key, ServerStatus state, TimeSpan interval, DateTimeOffset now) =>
        state == ServerStatus.Booting && _bootInterval < interval ? _bootInterval : UntilPhase(interval, Phase(key, interval, _step), now);

    /// <summary>
    /// The offset within <paramref name="interval"/> at which <paramref name="key"/> is probed: one of the interval's
    /// steps of <paramref name="step"/>, the same for the same key in every process (so a restart keeps the spread).
    /// </summary>
    public static TimeSpan Phase(string key, TimeSpan interval, TimeSpan step)
    {
        var slots = step <= TimeSpan.Zero ? 1 : Math.Max(1, interval.Ticks / step.Ticks);
        return TimeSpan.FromTicks(step.Ticks * (long)(Fnv1a(key) % (ulong)slots));
    }

    /// <summary>The time until the next instant that lies <paramref name="phase"/> past a wall-clock tick of <paramref name="interval"/>.</summary>
    public static TimeSpan UntilPhase(TimeSpan interval, TimeSpan phase, DateTimeOffset now)
    {
        var past = (now.UtcTicks - phase.Ticks) % interval.Ticks;
        return TimeSpan.FromTicks(interval.Ticks - (past < 0 ? past + interval.Ticks : past));
    }

    // FNV-1a over the key's UTF-16 code units: string.GetHashCode differs from one process to the next.
    private static ulong Fnv1a(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}

/// <summary>What a probe found, and when it held its slot: <see cref="Started"/> once it had one, until <see cref="Finished"/>.</summary>
public readonly record struct ScheduledProbe(ProbeResult Result, DateTimeOffset Started, DateTimeOffset Finished);
