using System.Collections.Immutable;

namespace Strata.LoadBalancing.Proxy.Membership;

/// <summary>A draining backend and when (timestamp of the proxy's clock) it started to drain.</summary>
internal sealed record DrainingBackend(Backend Backend, long Since);

/// <summary>An immutable snapshot of the membership, swapped as a whole on every change.</summary>
internal sealed record BackendPool(ImmutableArray<Backend> Active, ImmutableArray<DrainingBackend> Draining, ImmutableArray<Backend> Standby, long Version)
{
    public static BackendPool Empty { get; } = new([], [], [], 0);

    /// <summary>The backend a pin reaches: an active one, or with <paramref name="anyState"/> also a draining or standby one.</summary>
    public Backend? FindPinned(string name, bool anyState)
    {
        var active = FindActive(name);
        if (active is not null || !anyState)
        {
            return active;
        }

        foreach (var draining in Draining)
        {
            if (string.Equals(draining.Backend.Name, name, StringComparison.Ordinal))
            {
                return draining.Backend;
            }
        }

        return Standby.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.Ordinal));
    }

    public Backend? FindActive(string name)
    {
        foreach (var backend in Active)
        {
            if (string.Equals(backend.Name, name, StringComparison.Ordinal))
            {
                return backend;
            }
        }

        return null;
    }

    /// <summary>The next active backend after <paramref name="failed"/> not taken out by passive health, or null when there is none.</summary>
    public Backend? NextAfter(Backend failed)
    {
        // A failed member that has left the pool is not in it: then every member is a candidate, from the first.
        var index = Active.IndexOf(failed);
        for (var i = 1; i <= Active.Length; i++)
        {
            var candidate = Active[(index + i) % Active.Length];
            if (candidate != failed && !candidate.IsEjected)
            {
                return candidate;
            }
        }

        return null;
    }
}
