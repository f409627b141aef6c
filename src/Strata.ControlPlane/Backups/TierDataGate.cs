using System.Collections.Concurrent;
using Strata.ControlPlane.Deployments;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// One backup or restore of a tier's data at a time. A snapshot read while a restore replaces the volume's content
/// would be kept as a backup of neither, and two restores at once would leave a mix of both; so a restore is refused
/// while anything else works on the tier's data, and a backup waits its turn. One per deployment.
/// </summary>
public sealed class TierDataGate
{
    private readonly ConcurrentDictionary<string, TierWork> _tiers = new(StringComparer.Ordinal);

    /// <summary>
    /// Holds the tier's data for <paramref name="what"/> (e.g. <c>a restore of snapshot …</c>), waiting for the work
    /// under way; <paramref name="busy"/>, when given, is told what that is before the wait begins.
    /// </summary>
    public async Task<IDisposable> EnterAsync(string tier, string what, Func<string, Task>? busy, CancellationToken ct)
    {
        var work = _tiers.GetOrAdd(tier, _ => new TierWork());
        Interlocked.Increment(ref work.Waiting);
        try
        {
            if (!work.Gate.Wait(0))
            {
                if (busy is not null)
                {
                    await busy(work.Current ?? "a backup or restore").ConfigureAwait(false);
                }

                await work.Gate.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref work.Waiting);
        }

        return work.Hold(what);
    }

    /// <summary>Holds the tier's data for <paramref name="what"/> when nothing else works on it.</summary>
    /// <exception cref="ConflictException">A backup or restore of the tier is under way; the message names it.</exception>
    public IDisposable Enter(string tier, string what)
    {
        var work = _tiers.GetOrAdd(tier, _ => new TierWork());
        return work.Gate.Wait(0)
            ? work.Hold(what)
            : throw new ConflictException($"{work.Current ?? "a backup or restore"} of tier {tier} is under way; try again when it has ended (see `strata events`)");
    }

    /// <summary>How many backups wait for the tier's data.</summary>
    public int WaitingFor(string tier) => _tiers.TryGetValue(tier, out var work) ? Volatile.Read(ref work.Waiting) : 0;

    private sealed class TierWork
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public int Waiting;

        public string? Current { get; private set; }

        public IDisposable Hold(string what)
        {
            Current = what;
            return new Release(this);
        }

        private sealed class Release(TierWork work) : IDisposable
        {
            private int _released;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _released, 1) == 0)
                {
                    work.Current = null;
                    work.Gate.Release();
                }
            }
        }
    }
}
