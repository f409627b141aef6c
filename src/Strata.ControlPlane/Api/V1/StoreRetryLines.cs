using Strata.Api.Contracts;
using Strata.Storage;

namespace Strata.ControlPlane.Api.V1;

/// <summary>
/// An object store's retries during a streamed backup request, as waiting lines: at most one a second (several chunks
/// in flight fail together when a store stops answering, and one line says it as well as four), written without
/// holding up the retry (a client that does not read must not stall an upload), and none once the request's body
/// has ended (work it started that outlives it tells nobody).
/// </summary>
internal sealed class StoreRetryLines(Func<BackupStreamLine, Task> write, TimeProvider time)
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private long? _last;
    private Task _pending = Task.CompletedTask;
    private bool _closed;

    /// <summary>Starts writing a line for <paramref name="retry"/>, unless one was written within the second or is still being written.</summary>
    public ValueTask ObserveAsync(ObjectStoreRetry retry)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_closed || !_pending.IsCompleted || (_last is { } said && time.GetElapsedTime(said, now) < s_interval))
            {
                return ValueTask.CompletedTask;
            }

            _last = now;
            _pending = write(new BackupStreamLine { Type = "waiting", Waiting = retry.ToString() });
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Writes no more lines, and waits for the one being written, so that it comes before the request's last lines.</summary>
    public async Task CloseAsync()
    {
        Task pending;
        lock (_gate)
        {
            _closed = true;
            pending = _pending;
        }

        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client has gone; the request's own writes find that out for themselves.
        }
    }
}
