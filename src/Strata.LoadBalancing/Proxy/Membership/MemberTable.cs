using System.Collections.Immutable;

namespace Strata.LoadBalancing.Proxy.Membership;

/// <summary>
/// Owns the current <see cref="BackendPool"/>: applies desired member lists and retires draining backends once
/// their in-flight requests finished or the drain timeout passed. Readers take <see cref="Current"/> without locks.
/// </summary>
internal sealed class MemberTable(TimeProvider timeProvider, TimeSpan drainTimeout, int passiveHealthFailures = 3)
{
    private readonly Lock _gate = new();
    private BackendPool _current = BackendPool.Empty;
    private TaskCompletionSource _drainingStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BackendPool Current => Volatile.Read(ref _current);

    public BackendPool Apply(IReadOnlyList<MemberDocument> desired)
    {
        lock (_gate)
        {
            var old = _current;
            var now = timeProvider.GetTimestamp();
            var active = ImmutableArray.CreateBuilder<Backend>();
            var draining = ImmutableArray.CreateBuilder<DrainingBackend>();
            var standby = ImmutableArray.CreateBuilder<Backend>();
            var kept = new HashSet<Backend>(ReferenceEqualityComparer.Instance);
            foreach (var member in desired)
            {
                var backend = Reuse(old, member) ?? new Backend(member.Name, member.Address, member.Port, timeProvider, passiveHealthFailures);
                kept.Add(backend);
                if (member.State == MemberState.Active)
                {
                    active.Add(backend);
                }
                else if (member.State == MemberState.Standby)
                {
                    standby.Add(backend);
                }
                else
                {
                    draining.Add(old.Draining.FirstOrDefault(d => d.Backend == backend) ?? new DrainingBackend(backend, now));
                }
            }

            foreach (var leaving in old.Active.Where(b => !kept.Contains(b)))
            {
                draining.Add(new DrainingBackend(leaving, now));
            }

            draining.AddRange(old.Draining.Where(d => !kept.Contains(d.Backend)));
            return Publish(old, active.ToImmutable(), draining.ToImmutable(), standby.ToImmutable());
        }
    }

    /// <summary>
    /// Removes drained backends; returns the names removed. A backend removed at its drain timeout with exchanges
    /// still open has them cut (outside the lock: aborting connections is not the table's business to wait for).
    /// </summary>
    public IReadOnlyList<string> Sweep()
    {
        List<DrainingBackend> done;
        lock (_gate)
        {
            var old = _current;
            var now = timeProvider.GetTimestamp();
            done = [.. old.Draining.Where(d => d.Backend.InFlight == 0 || timeProvider.GetElapsedTime(d.Since, now) >= drainTimeout)];
            if (done.Count == 0)
            {
                return [];
            }

            Publish(old, old.Active, old.Draining.RemoveRange(done), old.Standby);
        }

        // Only what is still open at the drain timeout is cut. A member that drained may still be the target of a
        // request waiting out a retry backoff (which holds no in-flight slot): that request must not be aborted.
        foreach (var cut in done.Where(d => d.Backend.InFlight > 0))
        {
            cut.Backend.Retire();
        }

        return [.. done.Select(d => d.Backend.Name)];
    }

    /// <summary>Completes at once while a member drains, otherwise as soon as one starts to drain.</summary>
    public Task WhenDrainingAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return _current.Draining.IsEmpty ? _drainingStarted.Task.WaitAsync(ct) : Task.CompletedTask;
        }
    }

    /// <summary>Completes once the membership is no longer at <paramref name="version"/>.</summary>
    public Task WhenChangedAsync(long version, CancellationToken ct)
    {
        lock (_gate)
        {
            return _current.Version != version ? Task.CompletedTask : _changed.Task.WaitAsync(ct);
        }
    }

    public IReadOnlyList<MemberDocument> Describe()
    {
        var pool = Current;
        return
        [
            .. pool.Active.Select(b => Document(b, MemberState.Active)),
            .. pool.Draining.Select(d => Document(d.Backend, MemberState.Draining)),
            .. pool.Standby.Select(b => Document(b, MemberState.Standby)),
        ];
    }

    private static Backend? Reuse(BackendPool old, MemberDocument member) =>
        old.Active.FirstOrDefault(b => b.Name == member.Name && b.HasEndpoint(member.Address, member.Port))
        ?? old.Standby.FirstOrDefault(b => b.Name == member.Name && b.HasEndpoint(member.Address, member.Port))
        ?? old.Draining.Select(d => d.Backend).FirstOrDefault(b => b.Name == member.Name && b.HasEndpoint(member.Address, member.Port));

    private static MemberDocument Document(Backend backend, MemberState state) =>
        new() { Name = backend.Name, Address = backend.Address, Port = backend.Port, State = state, InFlight = backend.InFlight };

    private BackendPool Publish(BackendPool old, ImmutableArray<Backend> active, ImmutableArray<DrainingBackend> draining, ImmutableArray<Backend> standby)
    {
        var next = new BackendPool(active, draining, standby, old.Version + 1);
        Volatile.Write(ref _current, next);
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!draining.IsEmpty)
        {
            _drainingStarted.TrySetResult();
            _drainingStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return next;
    }
}
