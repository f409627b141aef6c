namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// The launches and terminations under way, one slot per server. An operation started while another holds the
/// server's slot runs after it, in the same slot: a termination decided while the launch was still recording its
/// server used to run beside it, unseen, and once the launch ended the reconciler took the terminating server for
/// abandoned and terminated it a second time. The slot is taken before the operation starts, so an operation that
/// ends at once can never leave it taken.
/// </summary>
internal sealed class ServerOperations
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>True while an operation of <paramref name="server"/> runs or waits for its turn.</summary>
    public bool IsBusy(string server)
    {
        lock (_lock)
        {
            return _slots.ContainsKey(server);
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on the thread pool once every earlier operation of <paramref name="server"/>
    /// has ended, then calls <paramref name="ended"/>. <paramref name="operation"/> handles its own errors; one that
    /// escapes still frees the slot and is observed by the returned task.
    /// </summary>
    public Task Start(string server, Func<Task> operation, Action ended)
    {
        lock (_lock)
        {
            var slot = _slots.TryGetValue(server, out var held) ? held : _slots[server] = new Slot();
            slot.Pending++;
            var task = RunAsync(server, slot, slot.Tail, operation, ended);
            slot.Tail = task;
            return task;
        }
    }

    private async Task RunAsync(string server, Slot slot, Task previous, Func<Task> operation, Action ended)
    {
        // Always yields first: the operation never runs inline under the lock, or before Start has recorded it.
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ForceYielding);
        try
        {
            await operation().ConfigureAwait(false);
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

            ended();
        }
    }

    private sealed class Slot
    {
        public int Pending { get; set; }

        public Task Tail { get; set; } = Task.CompletedTask;
    }
}
