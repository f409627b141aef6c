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
/// back, or its agent restarted): an agent knows only the watches asked of it. Results are handed to the watch of the
/// server they are about, if they belong to its latest request; any other is stale and dropped.
/// </summary>
internal sealed partial class AgentProbes : IHostedProbes, IDisposable
{
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
        foreach (var watch in _watches.Values.Where(w => w.Host == host))
        {
            watch.Ask();
        }
    }

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
        Message = "The agent of host {Host} could not be asked to probe {Server} ({Reason}); asked again when it next connects")]
    private static partial void LogAskFailed(ILogger logger, string host, string server, string reason);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Warning,
        Message = "The agent of host {Host} does not probe {Server} ({Reason}); the control plane probes it")]
    private static partial void LogRefused(ILogger logger, string host, string server, string reason);

    /// <summary>One server's check on its host: its results in a queue read by the server's probe loop.</summary>
    private sealed class AgentProbeWatch(AgentProbes owner, string serverId, string host, ProbeWatchSpec spec) : IProbeWatch
    {
        private readonly Channel<ProbeResult> _results = Channel.CreateUnbounded<ProbeResult>(new UnboundedChannelOptions { SingleReader = true });
        private long _request;
        private volatile string? _refused;
        private int _disposed;

        public string ServerId => serverId;

        public string Host => host;

        public string? Refused => _refused;

        /// <summary>Asks the host's agent to run the check; not connected, it is asked when it connects.</summary>
        public void Ask()
        {
            if (owner._fleet.AgentOf(host) is not { } agent || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            _ = AskAsync(agent);
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

            using var timeout = new CancellationTokenSource(wait, owner._time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, ct);
            try
            {
                return await _results.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false) && _results.Reader.TryRead(out result) ? result : null;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return null;
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Ended(this);
            }
        }

        private async Task AskAsync(Providers.Hosts.Agent.HostAgent agent)
        {
            try
            {
                if (await agent.WatchHealthAsync(serverId, spec, id => Interlocked.Exchange(ref _request, id), CancellationToken.None).ConfigureAwait(false) is { } refused)
                {
                    _refused = refused;
                    _results.Writer.TryComplete();
                    LogRefused(owner._logger, host, serverId, refused);
                }
            }
            catch (ProviderException ex)
            {
                // The channel ended under the request: the host's next agent is asked when it connects.
                LogAskFailed(owner._logger, host, serverId, ex.Message);
            }
        }
    }
}
