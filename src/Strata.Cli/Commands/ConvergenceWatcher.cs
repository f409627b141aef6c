using System.Diagnostics;
using System.Threading.Channels;
using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>
/// Follows a deployment until it is converged, has failed or the timeout passes, printing each server's state
/// changes as they happen (one line each, so the output reads well in a terminal and in a CI log).
/// </summary>
public sealed class ConvergenceWatcher(CliContext context, ControlPlaneClient client, bool expectRollout = true)
{
    private readonly bool _expectRollout = expectRollout;

    /// <summary>A tier whose launches failed this many times in a row makes the wait end as failed.</summary>
    public const int FailedLaunchLimit = 3;

    // The last line shown of each server and load balancer (by logical name) still there: one that leaves the status
    // was terminated or stopped, and is told once.
    private readonly Dictionary<string, Row> _servers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Row> _loadBalancers = new(StringComparer.Ordinal);
    private readonly LaunchProgress _progress = new();

    /// <summary>
    /// The wait between two looks at the status when nothing happens. An event (a server in service, a load balancer's
    /// new members, a failure) ends the wait at once, so `up` returns as soon as the deployment has converged.
    /// </summary>
    private static readonly TimeSpan s_idleLook = TimeSpan.FromMilliseconds(200);

    /// <summary>The least time between two looks at the status, so that a burst of events costs one request, not one each.</summary>
    private static readonly TimeSpan s_minLook = TimeSpan.FromMilliseconds(40);

    /// <summary>
    /// What each server of the deployment adds to the least time between two looks. A look costs the control plane and
    /// the CLI in proportion to the servers it lists (about 3 ms of processor for 200 on two cores), and an `up` of many
    /// servers has events all along: at 40 ms apart the looks alone took 2 s of processor over an `up` of 200 servers
    /// that took 27 s. At half a millisecond each, 200 servers are looked at every 100 ms, 1,000 every 500 ms.
    /// </summary>
    private static readonly TimeSpan s_lookPerServer = TimeSpan.FromMicroseconds(500);

    /// <summary>The least time between two looks at a deployment of <paramref name="servers"/> servers (at most a second).</summary>
    internal static TimeSpan MinLook(int servers) =>
        TimeSpan.FromTicks(Math.Clamp(s_lookPerServer.Ticks * servers, s_minLook.Ticks, TimeSpan.TicksPerSecond));

    /// <param name="sinceEvent">The last event that is not news; <see cref="long.MaxValue"/> follows no events.</param>
    public async Task<(DeploymentStatusDto? Status, int ExitCode)> WaitAsync(string deployment, long sinceEvent, TimeSpan timeout, CancellationToken ct)
    {
        var events = Channel.CreateUnbounded<DeploymentEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var following = sinceEvent == long.MaxValue ? Task.CompletedTask : FollowAsync(deployment, sinceEvent, events.Writer, stop.Token);
        try
        {
            return await WatchAsync(deployment, events.Reader, timeout, ct).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await following.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<(DeploymentStatusDto? Status, int ExitCode)> WatchAsync(string deployment, ChannelReader<DeploymentEvent> events, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? lastWhy = null;
        while (DateTime.UtcNow < deadline)
        {
            var looked = Stopwatch.GetTimestamp();
            DeploymentStatusDto status;
            try
            {
                status = await client.GetStatusAsync(deployment, ct).ConfigureAwait(false);
            }
            catch (ControlPlaneException ex) when (ex.Status == System.Net.HttpStatusCode.NotFound)
            {
                // Deleted: whatever it ran is gone.
                ReportGone(servers: [], loadBalancers: []);
                return (null, ExitCodes.Success);
            }

            Report(status);
            lastWhy = WhyNotConverged(status);
            await ObserveAsync(events).ConfigureAwait(false);
            if (await DecideAsync(deployment, status).ConfigureAwait(false) is { } exit)
            {
                context.Timeline.Mark($"status says {status.Phase}");
                return (status, exit);
            }

            await NextLookAsync(events, looked, MinLook(status.Servers.Count), ct).ConfigureAwait(false);
        }

        // The deployment's message says what it waits for (a tier without capacity, a server failing its check).
        var why = string.IsNullOrEmpty(lastWhy) ? "" : $" ({lastWhy})";
        await context.Error.WriteLineAsync($"strata: {deployment} did not converge within {timeout.TotalSeconds:0}s{why}; `strata status {deployment}` shows where it is").ConfigureAwait(false);
        return (null, ExitCodes.NotConverged);
    }

    /// <summary>What the deployment waits for, as its message or its tiers' say; null when nothing says.</summary>
    private static string? WhyNotConverged(DeploymentStatusDto status) =>
        status.Message is { Length: > 0 } message ? message
        : status.Tiers.Where(t => !string.IsNullOrEmpty(t.Message)).Select(t => $"tier {t.Name}: {t.Message}").ToList() is { Count: > 0 } tiers ? string.Join("; ", tiers)
        : null;

    /// <summary>The exit code the wait ends with at this status, or null while it goes on.</summary>
    private async Task<int?> DecideAsync(string deployment, DeploymentStatusDto status)
    {
        if (status.Phase == DeploymentPhase.Converged && (status.RolledBack ?? _progress.RolledBack) is { } rolledBack && _expectRollout)
        {
            await context.Error.WriteLineAsync($"strata: {deployment} was rolled back: {rolledBack}").ConfigureAwait(false);
            return ExitCodes.NotConverged;
        }

        if (status.Phase == DeploymentPhase.Converged)
        {
            return ExitCodes.Success;
        }

        if (status.Phase == DeploymentPhase.AwaitingPromotion)
        {
            await context.Error.WriteLineAsync($"strata: the canary of {deployment} is in service; `strata promote {deployment}` rolls the rest, `strata rollback {deployment}` goes back").ConfigureAwait(false);
            return ExitCodes.Success;
        }

        if (_progress.Failures >= FailedLaunchLimit && status.Phase == DeploymentPhase.Degraded)
        {
            await context.Error.WriteLineAsync($"strata: {deployment} has failed: {status.Message}").ConfigureAwait(false);
            return ExitCodes.NotConverged;
        }

        return null;
    }

    /// <summary>Waits until an event arrives or <see cref="s_idleLook"/> passes, and at least <paramref name="minLook"/> since the last look.</summary>
    private static async Task NextLookAsync(ChannelReader<DeploymentEvent> events, long lookedAt, TimeSpan minLook, CancellationToken ct)
    {
        // A look that took longer than the idle wait (a busy control plane) is followed by the next one at once.
        if (s_idleLook - Stopwatch.GetElapsedTime(lookedAt) is { Ticks: > 0 } idleLeft)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            idle.CancelAfter(idleLeft);
            try
            {
                await events.WaitToReadAsync(idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Nothing happened: look again anyway, as a change may come without an event.
            }
        }

        if (minLook - Stopwatch.GetElapsedTime(lookedAt) is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Takes in the events that arrived since the last look, printing those worth a line.</summary>
    private async Task ObserveAsync(ChannelReader<DeploymentEvent> events)
    {
        while (events.TryRead(out var e))
        {
            if (_progress.Observe(e) is { } line)
            {
                await context.Error.WriteLineAsync(line).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Follows the deployment's events into <paramref name="events"/> until cancelled. A stream that breaks (the
    /// control plane restarting, a proxy closing an idle connection) is followed again from the last event seen, so no
    /// failure goes uncounted.
    /// </summary>
    private async Task FollowAsync(string deployment, long after, ChannelWriter<DeploymentEvent> events, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in client.EventsAsync(deployment, after, follow: true, ct).ConfigureAwait(false))
                {
                    after = e.Id;
                    events.TryWrite(e);
                }
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Followed again below, whatever broke it: the status requests report a control plane that is gone,
                // and a wait that stopped counting failures would run to its timeout instead of ending at the third.
            }

            await Task.Delay(s_idleLook, ct).ConfigureAwait(false);
        }
    }

    private void Report(DeploymentStatusDto status)
    {
        foreach (var server in status.Servers)
        {
            Show(_servers, server.Name, new Row(server.Tier, server.Name, $"{server.State}{(server.Address is null ? "" : " at " + server.Address)}"));
        }

        foreach (var lb in status.LoadBalancers)
        {
            var line = $"{lb.State}{(string.IsNullOrEmpty(lb.Url) ? "" : " " + lb.Url)} → {lb.Members.Count} server{(lb.Members.Count == 1 ? "" : "s")}";
            Show(_loadBalancers, lb.Name, new Row("lb " + lb.Name, lb.PhysicalName, line));
        }

        ReportGone([.. status.Servers.Select(s => s.Name)], [.. status.LoadBalancers.Select(l => l.Name)]);
    }

    /// <summary>
    /// Tells each server and load balancer shown before that is not among those still there: a server leaves the
    /// status once its termination is done, and between two looks it may never have shown as terminating.
    /// </summary>
    private void ReportGone(HashSet<string> servers, HashSet<string> loadBalancers)
    {
        Gone(_servers, servers, "terminated");
        Gone(_loadBalancers, loadBalancers, "stopped");
    }

    private void Show(Dictionary<string, Row> shown, string name, Row row)
    {
        if (shown.GetValueOrDefault(name).Line != row.Line)
        {
            shown[name] = row;
            Write(row);
        }
    }

    private void Gone(Dictionary<string, Row> shown, HashSet<string> present, string what)
    {
        foreach (var (name, row) in shown.Where(s => !present.Contains(s.Key)).ToList())
        {
            shown.Remove(name);
            Write(row with { Line = what });
        }
    }

    private void Write(Row row) => context.Error.WriteLine($"  {row.Kind,-12} {row.Name,-32} {row.Line}");

    /// <summary>One line of progress: its two columns (a tier or "lb NAME", then a name) and what it says.</summary>
    private readonly record struct Row(string Kind, string Name, string Line);
}
