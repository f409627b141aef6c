using System.Collections.Concurrent;
using Strata.Api.Contracts.Agent;
using Strata.Providers.Probes;

namespace Strata.Agent;

/// <summary>
/// The health checks the control plane asked this agent to run on its host's servers: each server is probed at its
/// stable offset within its interval (<see cref="ProbePhase"/>) on probe threads of its own (<see cref="ProbeWorkers"/>,
/// as the control plane does), and only the results that can change a verdict are sent (<see cref="ProbeReportFilter"/>).
/// A probe that started late, or overran its timeout, because the agent itself was starved is not counted
/// (<see cref="ProbeTiming"/>); the server is probed again at its next time.
/// </summary>
internal sealed class HealthWatches(Action<AgentHealth> send, TimeProvider time, int probesPerCore = 8) : IDisposable
{
    private readonly ConcurrentDictionary<string, Watch> _watches = new(StringComparer.Ordinal);
    private readonly Action<AgentHealth> _send = send;
    private readonly TimeProvider _time = time;
    private readonly ProbeWorkers _workers = new(Environment.ProcessorCount * probesPerCore);

    /// <summary>How many servers are watched now.</summary>
    public int Count => _watches.Count;

    /// <summary>The ids of the requests whose checks run now.</summary>
    public IReadOnlyList<long> Ids() => [.. _watches.Values.Select(w => w.Id)];

    /// <summary>Starts probing the server as the request says, replacing its earlier watch; its first probe runs at once.</summary>
    public void Start(AgentWatchHealth request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var watch = new Watch(this, request.ServerId, request.Id, SpecOf(request));
        _watches.AddOrUpdate(request.ServerId, watch, (_, old) =>
        {
            old.Dispose();
            return watch;
        });
        watch.Schedule(TimeSpan.Zero);
    }

    /// <summary>Stops probing the server; a server not watched is nothing to stop.</summary>
    public void Stop(string serverId)
    {
        if (_watches.TryRemove(serverId, out var watch))
        {
            watch.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var serverId in _watches.Keys)
        {
            Stop(serverId);
        }
    }

    internal static ProbeWatchSpec SpecOf(AgentWatchHealth request) => new()
    {
        Kind = request.Kind == AgentProbeKind.Tcp ? SocketProbeKind.Tcp : SocketProbeKind.Http,
        Address = request.Address, Port = request.Port, Path = request.Path,
        Interval = TimeSpan.FromMilliseconds(Math.Max(1, request.IntervalMs)), BootInterval = TimeSpan.FromMilliseconds(Math.Max(1, request.BootIntervalMs)),
        Timeout = TimeSpan.FromMilliseconds(Math.Max(1, request.TimeoutMs)), HealthyAfter = request.HealthyAfter, UnhealthyAfter = request.UnhealthyAfter,
        SpreadStep = TimeSpan.FromMilliseconds(Math.Max(0, request.SpreadStepMs)),
    };

    /// <summary>One server's probes: a timer that hands each probe to a probe thread, which sets the timer again when done.</summary>
    private sealed class Watch(HealthWatches owner, string serverId, long id, ProbeWatchSpec spec) : IDisposable
    {
        public long Id => id;

        private readonly Lock _gate = new();
        private readonly TimeSpan _phase = ProbePhase.Of(serverId, spec.Interval, spec.SpreadStep);
        private ProbeReportFilter _filter = new(spec.HealthyAfter, spec.UnhealthyAfter);
        private ITimer? _timer;
        private DateTimeOffset _due;
        private bool _stopped;

        public void Schedule(TimeSpan delay)
        {
            lock (_gate)
            {
                if (_stopped)
                {
                    return;
                }

                _timer?.Dispose();
                _timer = null;
                _due = owner._time.GetUtcNow() + delay;
                if (delay > TimeSpan.Zero)
                {
                    _timer = owner._time.CreateTimer(static state => ((Watch)state!).Due(), this, delay, Timeout.InfiniteTimeSpan);
                    return;
                }
            }

            Due();
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _stopped = true;
                _timer?.Dispose();
            }
        }

        private void Due() => owner._workers.Post(Run);

        private void Run()
        {
            lock (_gate)
            {
                if (_stopped)
                {
                    return;
                }
            }

            var started = owner._time.GetUtcNow();
            var result = Probe();
            var finished = owner._time.GetUtcNow();
            try
            {
                if (!ProbeTiming.IsInconclusive(result, started - _due, finished - started, spec.Timeout))
                {
                    Count(result);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The result could not be sent: the channel is going away, and with it the agent. A probe thread must not throw.
            }

            var fast = !_filter.Booted && spec.BootInterval is { } boot && boot < spec.Interval;
            Schedule(fast ? spec.BootInterval!.Value : ProbePhase.Until(spec.Interval, _phase, owner._time.GetUtcNow()));
        }

        /// <summary>
        /// The probe's result; one that could not run at all (a name that does not resolve) is a failure too: a probe
        /// thread must not throw, and the watch must go on.
        /// </summary>
        private ProbeResult Probe()
        {
            try
            {
                return SocketProbe.Probe(spec.Kind, spec.Address, spec.Port, spec.Path, spec.Timeout);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return ProbeResult.Fail($"the probe could not run: {ex.Message}");
            }
        }

        private void Count(ProbeResult result)
        {
            (_filter, var send) = _filter.Record(result.Passed);
            if (send && !Volatile.Read(ref _stopped))
            {
                owner._send(new AgentHealth { ServerId = serverId, Watch = id, Passed = result.Passed, Detail = result.Detail, TimedOut = result.TimedOut });
            }
        }
    }
}
