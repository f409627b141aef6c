using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.Common.Retries;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Hosting;
using Strata.Spec.Grammar;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// The launches and terminations under way, each a background task in one slot per server: a reconcile pass starts
/// them and moves on, never waiting for a process. A server with an operation has an owner; the next pass leaves it
/// alone. An operation started while another holds the server's slot runs after it, in the same slot: a termination
/// decided while the launch was still recording its server used to run beside it, unseen, and once the launch ended
/// the reconciler took the terminating server for abandoned and terminated it a second time. The slot is taken before
/// the operation starts, so an operation that ends at once can never leave it taken. An operation that throws is
/// logged and reported as a <c>server.error</c> event (a provider's refusal as a warning, and once while it repeats
/// itself), and the server is then left alone for a while that doubles
/// with each failure in a row (<see cref="ControlPlaneOptions.OperationRetryDelay"/>); every operation that ends asks
/// for another pass.
/// </summary>
public sealed partial class ServerOperations(
    EventLog events, ReconcileTriggers triggers, IOptions<ControlPlaneOptions> options, TimeProvider time, ILogger<ServerOperations> logger)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    // Counts the calls of RetryNow: an operation under way when one came, which then fails, is not left to wait.
    private long _retries;

    /// <summary>
    /// True while an operation of <paramref name="server"/> runs or waits for its turn, or while its last one failed
    /// less than its retry delay ago: it has an owner, and no pass starts another.
    /// </summary>
    public bool IsBusy(string server) => IsOwned(server, TimeSpan.Zero);

    /// <summary>
    /// True while an operation of <paramref name="server"/> runs or waits for its turn, or while its last one failed
    /// and is not yet <paramref name="slack"/> past its retry time: a pass retries it then, so it has an owner. A
    /// server that waits on a host away for minutes is owned all that while, not found abandoned between two retries.
    /// </summary>
    public bool IsOwned(string server, TimeSpan slack)
    {
        lock (_lock)
        {
            return _slots.ContainsKey(server) || (_failures.TryGetValue(server, out var failed) && time.GetUtcNow() < failed.RetryAt + slack);
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on the thread pool as <paramref name="server"/>'s operation once every earlier
    /// one has ended. The returned task ends with it and never faults: a failure is logged and reported.
    /// </summary>
    public Task Start(DeploymentRuntime runtime, string server, Func<Task> operation)
    {
        lock (_lock)
        {
            var slot = _slots.TryGetValue(server, out var held) ? held : _slots[server] = new Slot();
            slot.Pending++;
            var task = RunAsync(runtime, server, slot, slot.Tail, operation);
            slot.Tail = task;
            return task;
        }
    }

    private async Task RunAsync(DeploymentRuntime runtime, string server, Slot slot, Task previous, Func<Task> operation)
    {
        // Always yields first: the operation never runs inline under the lock, or before Start has recorded it.
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ForceYielding);
        var retries = Interlocked.Read(ref _retries);
        try
        {
            await operation().ConfigureAwait(false);
            Succeeded(server);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var failure = Failed(server, ex, retryNow: Interlocked.Read(ref _retries) != retries);
            if (failure.Refused)
            {
                // The provider said what went wrong (a host not connected, a disk full): its message is the whole
                // story, and a stack trace on every retry would bury it.
                LogOperationRefused(logger, server, ex.Message);
            }
            else
            {
                LogOperationFailed(logger, ex, server);
            }

            if (!failure.Repeated || !failure.Refused || failure.ReachedLongest)
            {
                // A provider's refusal repeated word for word (a host away for minutes) is told as a warning when it
                // first comes and once more when its retries have slowed to the longest delay; the log keeps every retry.
                await events.PublishAsync(runtime.Name, EventKinds.ServerError, $"{ex.Message} ({DescribeRetry(failure)})",
                    new EventSubject { Resource = server, Server = server },
                    failure.Refused ? EventSeverity.Warning : EventSeverity.Error).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_lock)
            {
                if (--slot.Pending == 0)
                {
                    _slots.Remove(server);
                }
            }

            triggers.Now(runtime.Name);
        }
    }

    /// <summary>
    /// Ends the wait of every failed operation: what stood in their way may be gone (a host came back). A failure
    /// after that is counted on from where its backoff was.
    /// </summary>
    public void RetryNow()
    {
        lock (_lock)
        {
            Interlocked.Increment(ref _retries);
            var now = time.GetUtcNow();
            foreach (var (server, failed) in _failures.Where(f => f.Value.RetryAt > now).ToList())
            {
                _failures[server] = failed with { RetryAt = now };
            }
        }
    }

    private void Succeeded(string server)
    {
        lock (_lock)
        {
            _failures.Remove(server);
        }
    }

    /// <summary>
    /// Records one more failure in a row and returns how long the server is left alone (not at all when
    /// <paramref name="retryNow"/>: what stood in its way went while it ran), whether the failure before it in the row
    /// was the same (same kind, same words), and whether this one is the first left alone for the longest delay.
    /// </summary>
    private Failure Failed(string server, Exception error, bool retryNow)
    {
        var longest = options.Value.MaxOperationRetryDelay;
        lock (_lock)
        {
            var before = _failures.GetValueOrDefault(server);
            var count = (before?.Count ?? 0) + 1;
            var delay = retryNow ? TimeSpan.Zero : ExponentialBackoff.Delay(count, options.Value.OperationRetryDelay, longest);
            var reason = $"{error.GetType().FullName}: {error.Message}";
            var repeated = before?.Reason == reason;

            // Told at the longest delay once per row of the same failure, also when a retry now came between.
            var reachedLongest = repeated && delay >= longest && !before!.LongestTold;
            _failures[server] = new Failures(count, time.GetUtcNow() + delay, reason, LongestTold: repeated && (reachedLongest || before!.LongestTold));
            return new Failure(delay, repeated, reachedLongest, error is Providers.ProviderException);
        }
    }

    private static string DescribeRetry(Failure failure) => failure switch
    {
        { Delay.Ticks: 0 } => "tried again now",
        { ReachedLongest: true } => $"still {(failure.Refused ? "refused" : "failing")}; tried again every {SpecValues.FormatDuration(failure.Delay)} from now on",
        _ => $"tried again in {SpecValues.FormatDuration(failure.Delay)}",
    };

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Operation on {Resource} failed")]
    private static partial void LogOperationFailed(ILogger logger, Exception exception, string resource);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Operation on {Resource} failed: {Reason}")]
    private static partial void LogOperationRefused(ILogger logger, string resource, string reason);

    private sealed record Failures(int Count, DateTimeOffset RetryAt, string Reason, bool LongestTold);

    /// <summary>One failure as told: how long until the retry, whether the one before said the same, whether the delay just reached the longest, and whether the provider refused.</summary>
    private readonly record struct Failure(TimeSpan Delay, bool Repeated, bool ReachedLongest, bool Refused);

    private sealed class Slot
    {
        public int Pending { get; set; }

        public Task Tail { get; set; } = Task.CompletedTask;
    }
}
