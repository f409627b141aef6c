using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Strata.Api.Contracts.Agent;
using Strata.ControlPlane.Health;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Probes;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// The health checks of servers on hosts, run by the hosts' agents (<see cref="IHostedProbes"/>). A watch is asked of
/// the agent of the server's host when it starts, and again whenever a new agent of that host connects (the host came
/// back, or its agent restarted): an agent knows only the watches asked of it. Each heartbeat lists the watches the
/// agent runs; one this side counts on that two heartbeats in a row do not list is asked again (a request lost in a
/// race with another, or an unwatch of the server's previous check that overtook it). Results are handed to the watch
/// of the server they are about, if they belong to its latest request; any other is stale and dropped.
/// </summary>
internal sealed partial class AgentProbes : IHostedProbes, IDisposable
{
    /// <summary>How long a watch's request may wait for its answer; the heartbeats then tell whether the agent runs it.</summary>
    internal static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Heartbeats in a row that must leave out a watch before it is asked again: one may have been written before the agent took the request.</summary>
    internal const int MissedHeartbeats = 2;

    private readonly ConcurrentDictionary<string, AgentProbeWatch> _watches = new(StringComparer.Ordinal);
    private readonly HostFleet _fleet;
    private readonly Func<string, string?> _hostOf;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="fleet">The hosts' connections.</param>
    /// <param name="hostOf">The host a server runs on; null for the control plane's machine.</param>
    /// <param name="time">The clock a wait for a result is timed by.</param>
    /// <param name="logger">Where a watch an agent could not be asked for is told.</param>
    public AgentProbes(HostFleet fleet, Func<string, string?> hostOf, TimeProvider time, ILogger logger)
    {
        (_fleet, _hostOf, _time, _logger) = (fleet, hostOf, time, logger);
        fleet.HealthReported += OnReported;
        fleet.AgentConnected += OnConnected;
        fleet.WatchesListed += OnListed;
        fleet.Changed += OnChanged;
    }

    public IProbeWatch? Watch(string serverId, ProbeWatchSpec spec)
    {
        if (_hostOf(serverId) is not { } host)
        {
            return null;
        }

        var watch = new AgentProbeWatch(this, serverId, host, spec);
        _watches.AddOrUpdate(serverId, watch, (_, old) => watch);
        watch.Ask();
        return watch;
    }

    public void Dispose()
    {
        _fleet.HealthReported -= OnReported;
        _fleet.AgentConnected -= OnConnected;
        _fleet.WatchesListed -= OnListed;
        _fleet.Changed -= OnChanged;
    }

    private void OnReported(string host, AgentHealth report)
    {
        if (_watches.TryGetValue(report.ServerId, out var watch) && watch.Host == host)
        {
            watch.Received(report);
        }
    }

    private void OnConnected(string host)
    {
        foreach (var watch in OnHost(host))
        {
            watch.Ask();
        }
    }

    private void OnListed(string host, IReadOnlyList<long>? watching)
    {
        foreach (var watch in OnHost(host))
        {
            watch.Listed(watching);
        }
    }

    /// <summary>A host gone silent can send no results: the loops waiting for them are woken to probe their servers themselves.</summary>
    private void OnChanged(HostStatus status)
    {
        if (!IsHeard(status))
        {
            foreach (var watch in OnHost(status.Name))
            {
                watch.Poke();
            }
        }
    }

    private static bool IsHeard(HostStatus? status) => status is { State: HostState.Ready or HostState.Draining, Connected: true };

    private IEnumerable<AgentProbeWatch> OnHost(string host) => _watches.Values.Where(w => w.Host == host && w.Refused is null);

    /// <summary>Forgets a watch that ended and tells its agent, if it is connected, to stop the check.</summary>
    private void Ended(AgentProbeWatch watch)
    {
        if (!_watches.TryRemove(KeyValuePair.Create(watch.ServerId, watch)) || _fleet.AgentOf(watch.Host) is not { } agent)
        {
            return;
        }

        _ = agent.UnwatchHealthAsync(watch.ServerId, CancellationToken.None).ContinueWith(
            t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    [LoggerMessage(EventId = 7020, Level = LogLevel.Warning,
        Message = "The agent of host {Host} could not be asked to probe {Server} ({Reason}); asked again when it next connects or its heartbeats leave it out")]
    private static partial void LogAskFailed(ILogger logger, string host, string server, string reason);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Warning,
        Message = "The agent of host {Host} does not probe {Server} ({Reason}); the control plane probes it")]
    private static partial void LogRefused(ILogger logger, string host, string server, string reason);

    [LoggerMessage(EventId = 7022, Level = LogLevel.Warning,
        Message = "The agent of host {Host} does not run the health check of {Server} asked of it; asking again")]
    private static partial void LogMissing(ILogger logger, string host, string server);

    /// <summary>
    /// One server's check on its host: its results in a queue read by the server's probe loop. At most one request for
    /// it is in flight at a time, so that the id its results must carry is that of the request the agent took last.
    /// </summary>
    private sealed class AgentProbeWatch(AgentProbes owner, string serverId, string host, ProbeWatchSpec spec) : IProbeWatch
    {
        // Results, and nulls that only wake the reader (its host went silent).
        private readonly Channel<ProbeResult?> _results = Channel.CreateUnbounded<ProbeResult?>(new UnboundedChannelOptions { SingleReader = true });
        private long _request;
        private int _asking;
        private int _askAgain;
        private int _missed;
        private volatile string? _refused;
        private int _disposed;

        public string ServerId => serverId;

        public string Host => host;

        public string? Refused => _refused;

        public bool Silent => !IsHeard(owner._fleet.Find(host));

        /// <summary>Wakes the reader waiting for a result, which then finds none.</summary>
        public void Poke() => _results.Writer.TryWrite(null);

        /// <summary>Asks the host's agent to run the check (after the request in flight, if any); not connected, it is asked when it connects.</summary>
        public void Ask()
        {
            Volatile.Write(ref _askAgain, 1);
            if (Interlocked.CompareExchange(ref _asking, 1, 0) == 0)
            {
                _ = AskWhileNeededAsync();
            }
        }

        /// <summary>A heartbeat's list of the watches its agent runs: this one, left out twice in a row, is asked again.</summary>
        public void Listed(IReadOnlyList<long>? watching)
        {
            if (watching is null)
            {
                Refuse("its agent is older than health checks run on hosts");
                return;
            }

            if (Volatile.Read(ref _asking) != 0 || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            if (watching.Contains(Interlocked.Read(ref _request)))
            {
                Volatile.Write(ref _missed, 0);
            }
            else if (Interlocked.Increment(ref _missed) >= MissedHeartbeats)
            {
                Volatile.Write(ref _missed, 0);
                LogMissing(owner._logger, host, serverId);
                Ask();
            }
        }

        public void Received(AgentHealth report)
        {
            if (report.Watch == Interlocked.Read(ref _request))
            {
                _results.Writer.TryWrite(report.Passed
                    ? ProbeResult.Pass
                    : ProbeResult.Fail(report.Detail ?? "the check failed") with { TimedOut = report.TimedOut });
            }
        }

        public async Task<ProbeResult?> NextAsync(TimeSpan wait, CancellationToken ct)
        {
            if (_results.Reader.TryRead(out var result))
            {
                return result;
            }

            // The wait ends with a poke rather than a cancelled token: every server in service waits this way, and an
            // exception thrown and caught at the end of each wait was, with 200 servers, a tenth of an idle control
            // plane's processor time. A poke left behind by a result that came first only makes one wait return early.
            using var timer = owner._time.CreateTimer(static state => ((AgentProbeWatch)state!).Poke(), this, wait, Timeout.InfiniteTimeSpan);
            return await _results.Reader.WaitToReadAsync(ct).ConfigureAwait(false) && _results.Reader.TryRead(out result) ? result : null;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Ended(this);
            }
        }

        private async Task AskWhileNeededAsync()
        {
            do
            {
                try
                {
                    while (Interlocked.Exchange(ref _askAgain, 0) == 1 && Volatile.Read(ref _disposed) == 0 && _refused is null
                        && owner._fleet.AgentOf(host) is { } agent)
                    {
                        await AskAsync(agent).ConfigureAwait(false);
                    }
                }
                finally
                {
                    Volatile.Write(ref _asking, 0);
                }

                // An Ask that came after the last look but before the flag was cleared found it set and left the asking to this loop.
            }
            while (Volatile.Read(ref _askAgain) == 1 && Interlocked.CompareExchange(ref _asking, 1, 0) == 0);
        }

        private async Task AskAsync(Providers.Hosts.Agent.HostAgent agent)
        {
            try
            {
                var refused = await agent.WatchHealthAsync(serverId, spec, id => Interlocked.Exchange(ref _request, id), CancellationToken.None)
                    .WaitAsync(AskTimeout, owner._time).ConfigureAwait(false);
                Volatile.Write(ref _missed, 0);
                if (refused is not null)
                {
                    Refuse(refused);
                }
            }
            catch (Exception ex) when (ex is ProviderException or TimeoutException)
            {
                // The channel ended under the request, or the agent is slow to take it: the host's next agent is asked
                // when it connects, and this one again when its heartbeats leave the watch out.
                LogAskFailed(owner._logger, host, serverId, ex.Message);
            }
        }

        /// <summary>The control plane probes the server from now on: the loop waiting for results is woken to do so.</summary>
        private void Refuse(string why)
        {
            if (_refused is not null)
            {
                return;
            }

            _refused = why;
            _results.Writer.TryComplete();
            LogRefused(owner._logger, host, serverId, why);
        }
    }
}
