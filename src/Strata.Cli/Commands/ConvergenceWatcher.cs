using System.Diagnostics;
using System.Threading.Channels;
using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.Cli.Client;

namespace Strata.Cli.Commands;

/// <summary>
/// Follows a deployment until it is converged, has failed or the timeout passes, printing each server's state
/// changes as they happen (one line each, so the output reads well in a terminal and in a CI log), or for a tier of
/// many servers its counts by state.
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

    // The last line shown of each tier told by its counts rather than server by server.
    private readonly Dictionary<string, Row> _tiers = new(StringComparer.Ordinal);

    /// <summary>
    /// A tier of more servers than this is told as one line of counts (<c>web  200 servers  120 inService, 80 booting</c>)
    /// whenever they change, not a line for each change of each server: an `up` of 200 printed over 800 lines.
    /// A failed server is still told by name.
    /// </summary>
    public const int ServersToldOneByOne = 10;
    private readonly LaunchProgress _progress = new();

    /// <summary>
    /// The least wait between two routine looks at the status, the looks taken whatever the events say: for a change
    /// that comes without an event (or from a control plane that does not tell its phase), and for the progress lines.
    /// </summary>
    private static readonly TimeSpan s_routineLook = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// What each server of the deployment adds to the wait between two routine looks while its events are followed: a
    /// look lists every server, and an `up` of 200 that looked whenever events came (every 100 ms) spent much of its
    /// processor time on them. At 5 ms each, 200 servers are looked at every second, 400 and more every 2 seconds; the
    /// wait still ends as soon as the deployment's phase changes, which an event says. A wait that follows no events
    /// (scale, promote, rollback, delete) looks every <see cref="s_routineLook"/>.
    /// </summary>
    private static readonly TimeSpan s_routinePerServer = TimeSpan.FromMilliseconds(5);

    /// <summary>The least time between two looks at the status, so that a burst of events costs one request, not one each.</summary>
    private static readonly TimeSpan s_minLook = TimeSpan.FromMilliseconds(40);

    /// <summary>
    /// What each server of the deployment adds to the least time between two looks. A look costs the control plane and
    /// the CLI in proportion to the servers it lists (about 3 ms of processor for 200 on two cores). At half a
    /// millisecond each, 200 servers are looked at at most every 100 ms, 1,000 every 500 ms.
    /// </summary>
    private static readonly TimeSpan s_lookPerServer = TimeSpan.FromMicroseconds(500);

    // Events taken from the stream while waiting for one that calls for a look, told at the next look.
    private readonly List<DeploymentEvent> _arrived = [];

    // Whether the deployment's events are followed, which is what lets routine looks grow apart.
    private bool _following;

    /// <summary>The least time between two looks at a deployment of <paramref name="servers"/> servers (at most a second).</summary>
    internal static TimeSpan MinLook(int servers) =>
        TimeSpan.FromTicks(Math.Clamp(s_lookPerServer.Ticks * servers, s_minLook.Ticks, TimeSpan.TicksPerSecond));

    /// <summary>The time between two routine looks at a deployment of <paramref name="servers"/> servers (200 ms to 2 s).</summary>
    internal static TimeSpan RoutineLook(int servers) =>
        TimeSpan.FromTicks(Math.Clamp(s_routinePerServer.Ticks * servers, s_routineLook.Ticks, 2 * TimeSpan.TicksPerSecond));

    /// <summary>
    /// An event after which the status is looked at once <see cref="MinLook"/> allows: one that can end the wait (the
    /// deployment's phase changed, it was deleted or rolled back) or that counts towards failing it.
    /// </summary>
    internal static bool CallsForLook(DeploymentEvent e) =>
        e.Kind is EventKinds.DeploymentPhase or EventKinds.DeploymentDeleted or EventKinds.DeploymentRollback or EventKinds.ServerFailed or EventKinds.LoadBalancerFailed;

    /// <param name="sinceEvent">The last event that is not news; <see cref="long.MaxValue"/> follows no events.</param>
    public async Task<(DeploymentStatusDto? Status, int ExitCode)> WaitAsync(string deployment, long sinceEvent, TimeSpan timeout, CancellationToken ct)
    {
        var events = Channel.CreateUnbounded<DeploymentEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _following = sinceEvent != long.MaxValue;
        var following = _following ? FollowAsync(deployment, sinceEvent, events.Writer, stop.Token) : Task.CompletedTask;
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
                ReportGone();
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

            await NextLookAsync(events, looked, status.Servers.Count, deadline, ct).ConfigureAwait(false);
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

    /// <summary>
    /// Waits until an event that calls for a look arrives or <see cref="RoutineLook"/> passes, and at least
    /// <see cref="MinLook"/> since the last look; the events taken meanwhile are told at the next look.
    /// </summary>
    private async Task NextLookAsync(ChannelReader<DeploymentEvent> events, long lookedAt, int servers, DateTime deadline, CancellationToken ct)
    {
        // A look that took longer than the routine wait (a busy control plane) is followed by the next one at once; the
        // last one comes at the deadline.
        var every = _following ? RoutineLook(servers) : s_routineLook;
        var left = TimeSpan.FromTicks(Math.Min((every - Stopwatch.GetElapsedTime(lookedAt)).Ticks, (deadline - DateTime.UtcNow).Ticks));
        if (left is { Ticks: > 0 } routineLeft)
        {
            using var routine = CancellationTokenSource.CreateLinkedTokenSource(ct);
            routine.CancelAfter(routineLeft);
            try
            {
                while (await events.WaitToReadAsync(routine.Token).ConfigureAwait(false) && !TakeArrived(events))
                {
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Nothing called for a look: look anyway, as a change may come without an event.
            }
        }

        if (MinLook(servers) - Stopwatch.GetElapsedTime(lookedAt) is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Takes the events that have arrived into <see cref="_arrived"/>; true when one of them calls for a look.</summary>
    private bool TakeArrived(ChannelReader<DeploymentEvent> events)
    {
        var callsForLook = false;
        while (events.TryRead(out var e))
        {
            _arrived.Add(e);
            callsForLook |= CallsForLook(e);
        }

        return callsForLook;
    }

    /// <summary>Takes in the events that arrived since the last look, printing those worth a line.</summary>
    private async Task ObserveAsync(ChannelReader<DeploymentEvent> events)
    {
        TakeArrived(events);
        foreach (var e in _arrived)
        {
            if (_progress.Observe(e) is { } line)
            {
                await context.Error.WriteLineAsync(line).ConfigureAwait(false);
            }
        }

        _arrived.Clear();
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

            await Task.Delay(s_routineLook, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Shows what changed since the last look: servers (or a large tier's counts) and load balancers.</summary>
    internal void Report(DeploymentStatusDto status)
    {
        var told = new HashSet<string>(StringComparer.Ordinal);
        var summed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tier in status.Servers.GroupBy(s => s.Tier, StringComparer.Ordinal))
        {
            ReportTier(tier.Key, [.. tier], told, summed);
        }

        foreach (var lb in status.LoadBalancers)
        {
            var line = $"{lb.State}{(string.IsNullOrEmpty(lb.Url) ? "" : " " + lb.Url)} → {lb.Members.Count} server{(lb.Members.Count == 1 ? "" : "s")}";
            Show(_loadBalancers, lb.Name, new Row("lb " + lb.Name, lb.PhysicalName, line));
        }

        // A tier told by its counts tells its servers no more, one by one or as terminated, but for the failed ones.
        foreach (var name in _servers.Where(s => summed.Contains(s.Value.Kind) && !told.Contains(s.Key)).Select(s => s.Key).ToList())
        {
            _servers.Remove(name);
        }

        ReportGone(told, summed, [.. status.LoadBalancers.Select(l => l.Name)]);
    }

    private void ReportTier(string tier, List<ServerDto> servers, HashSet<string> told, HashSet<string> summed)
    {
        // Once told by its counts, a tier stays so for the rest of the wait: shrinking, it would tell each server left.
        var summing = servers.Count > ServersToldOneByOne || _tiers.ContainsKey(tier);
        if (summing)
        {
            summed.Add(tier);
            Show(_tiers, tier, new Row(tier, $"{servers.Count} server{(servers.Count == 1 ? "" : "s")}", Counts(servers)));
        }

        // A failed server is told by name in a tier of any size: a wait that follows no events would not name it.
        foreach (var server in servers.Where(s => !summing || s.State == "failed"))
        {
            told.Add(server.Name);
            Show(_servers, server.Name, new Row(server.Tier, server.Name, $"{server.State}{(server.Address is null ? "" : " at " + server.Address)}"));
        }
    }

    /// <summary>Tells each server, tier and load balancer shown before that is not among those still there (none, by default).</summary>
    private void ReportGone(HashSet<string>? servers = null, HashSet<string>? tiers = null, HashSet<string>? loadBalancers = null)
    {
        Gone(_servers, servers ?? [], "terminated");
        Gone(_tiers, tiers ?? [], "all terminated", name: "0 servers");
        Gone(_loadBalancers, loadBalancers ?? [], "stopped");
    }

    /// <summary>How many of the tier's servers are in each state, in the order a server goes through them.</summary>
    internal static string Counts(IEnumerable<ServerDto> servers) =>
        string.Join(", ", servers.GroupBy(s => s.State, StringComparer.Ordinal)
            .OrderBy(g => Array.IndexOf(s_lifecycle, g.Key) is var at and >= 0 ? at : s_lifecycle.Length)
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Count()} {g.Key}"));

    private static readonly string[] s_lifecycle = ["pending", "configuring", "booting", "inService", "unhealthy", "terminating", "terminated", "failed"];

    /// <summary>
    /// Shows the row when it says something new of <paramref name="name"/>. A server, load balancer or tier that leaves
    /// the status is told by <see cref="Gone"/>: a server leaves it once its termination is done, and between two looks
    /// it may never have shown as terminating.
    /// </summary>
    private void Show(Dictionary<string, Row> shown, string name, Row row)
    {
        if (shown.GetValueOrDefault(name) != row)
        {
            shown[name] = row;
            Write(row);
        }
    }

    private void Gone(Dictionary<string, Row> shown, HashSet<string> present, string what, string? name = null)
    {
        foreach (var (key, row) in shown.Where(s => !present.Contains(s.Key)).ToList())
        {
            shown.Remove(key);
            Write(row with { Name = name ?? row.Name, Line = what });
        }
    }

    private void Write(Row row) => context.Error.WriteLine($"  {row.Kind,-12} {row.Name,-32} {row.Line}");

    /// <summary>One line of progress: its two columns (a tier or "lb NAME", then a name) and what it says.</summary>
    private readonly record struct Row(string Kind, string Name, string Line);
}
