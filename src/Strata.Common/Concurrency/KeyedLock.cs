namespace Strata.Common.Concurrency;

/// <summary>
/// One async lock per key (a server id, a volume id), so that actions on one key are serialised and actions on others
/// run in parallel. A key's gate exists only while someone holds or waits for it, so a long-lived lock over millions
/// of ids keeps nothing for the ones no longer used.
/// </summary>
public sealed class KeyedLock
{
    private readonly Dictionary<string, (SemaphoreSlim Gate, int Users)> _gates = new(StringComparer.Ordinal);

    /// <summary>Keys held or waited for now.</summary>
    internal int Keys
    {
        get
        {
            lock (_gates)
            {
                return _gates.Count;
            }
        }
    }

    /// <summary>Waits for the key's lock; dispose the result to give it back.</summary>
    public async Task<IDisposable> AcquireAsync(string key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        var gate = Enter(key);
        try
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            Leave(key);
            throw;
        }

        return new Releaser(this, key, gate);
    }

    /// <summary>Takes the key's lock only if nobody holds it now; null when someone does.</summary>
    public IDisposable? TryAcquire(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var gate = Enter(key);
        if (gate.Wait(0))
        {
            return new Releaser(this, key, gate);
        }

        Leave(key);
        return null;
    }

    private SemaphoreSlim Enter(string key)
    {
        lock (_gates)
        {
            var entry = _gates.TryGetValue(key, out var found) ? found : (Gate: new SemaphoreSlim(1, 1), Users: 0);
            _gates[key] = (entry.Gate, entry.Users + 1);
            return entry.Gate;
        }
    }

    private void Leave(string key)
    {
        lock (_gates)
        {
            var (gate, users) = _gates[key];
            if (users == 1)
            {
                _gates.Remove(key);
                gate.Dispose();
            }
            else
            {
                _gates[key] = (gate, users - 1);
            }
        }
    }

    private sealed class Releaser(KeyedLock owner, string key, SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
                owner.Leave(key);
            }
        }
    }
}
