using Microsoft.Extensions.Logging;
using Strata.Common.Retries;

namespace Strata.Providers.Hosts.Fleet;

/// <summary>
/// Keeping each registered host connected: a connection that ends, or whose agent goes silent while it stays open,
/// is opened again, trusting only the host's recorded key, after a delay that grows with each failed attempt.
/// </summary>
public sealed partial class HostFleet
{
    private void KeepConnected(HostRegistration host, HostConnection? connection)
    {
        StartChecks();
        var stop = new CancellationTokenSource();
        lock (_gate)
        {
            _keepers = _keepers.SetItem(host.Name, new Keeper(stop, KeepConnectedAsync(host, connection, stop.Token)));
        }
    }

    private async Task KeepConnectedAsync(HostRegistration host, HostConnection? connection, CancellationToken ct)
    {
        await Task.Yield();
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            if (connection is not null)
            {
                var silentFor = await EndedOrSilentAsync(connection, ct).ConfigureAwait(false);
                if (ct.IsCancellationRequested)
                {
                    return;
                }

                if (silentFor is { } silence)
                {
                    LogSilent(_logger, host.Name, silence.TotalSeconds);
                }

                Evaluate();
                await connection.DisposeAsync().ConfigureAwait(false);
                connection = null;
                failures = 1;
            }

            connection = await ReconnectAsync(host, failures, ct).ConfigureAwait(false);
            failures = connection is null ? failures + 1 : 0;
        }
    }

    /// <summary>
    /// Waits until the connection ends, or until its agent has been silent for <see cref="HostsOptions.HostTimeout"/>
    /// while the connection stays open (the agent hung, or the host froze with its TCP connection kept): such a
    /// connection would be waited on for ever, so it is given up and the host connected to again, which starts a new
    /// agent that stops the silent one. Returns how long it was silent then; null when it ended or was cancelled.
    /// </summary>
    private async Task<TimeSpan?> EndedOrSilentAsync(HostConnection connection, CancellationToken ct)
    {
        while (!connection.Completion.IsCompleted && !ct.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            var silence = now - (connection.LastHeartbeat ?? now);
            if (silence >= _options.HostTimeout)
            {
                return silence;
            }

            using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
            await Task.WhenAny(connection.Completion, Task.Delay(_options.HostTimeout - silence, _time, wake.Token)).ConfigureAwait(false);
            await wake.CancelAsync().ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>One attempt, after the backoff for <paramref name="failures"/>; null when it failed or was cancelled.</summary>
    private async Task<HostConnection?> ReconnectAsync(HostRegistration host, int failures, CancellationToken ct)
    {
        try
        {
            if (failures > 0)
            {
                var delay = ExponentialBackoff.Delay(failures, _options.ReconnectDelay, _options.MaxReconnectDelay, 0.2, _random);
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            }

            var connection = await HostConnection.OpenAsync(host, acceptNewHostKey: false, _links, ct).ConfigureAwait(false);
            Connected(host, connection);
            return connection;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Any failure of one attempt (SSH.NET also throws ObjectDisposedException or InvalidOperationException
            // when a host drops the connection mid-handshake) is one more failure to back off from: the keeper of a
            // host must never end while the host is registered.
            LogReconnectFailed(_logger, host.Name, failures + 1, ex.Message);
            return null;
        }
    }

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Could not connect to host {Host} (attempt {Attempt}): {Reason}")]
    private static partial void LogReconnectFailed(ILogger logger, string host, int attempt, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning,
        Message = "The agent of host {Host} has said nothing for {Seconds:0.#} s while its connection stays open: closing the connection to start a new agent")]
    private static partial void LogSilent(ILogger logger, string host, double seconds);

    /// <summary>The task that keeps one host connected, and how to stop it.</summary>
    private sealed record Keeper(CancellationTokenSource Stop, Task Task);
}
