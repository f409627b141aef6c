using System.Collections.Immutable;

namespace Strata.LoadBalancing.Proxy.Membership;

/// <summary>A draining backend and when (timestamp of the proxy's clock) it started to drain.</summary>
internal sealed record DrainingBackend(Backend Backend, long Since);

/// <summary>An immutable snapshot of the membership, swapped as a whole on every change.</summary>
internal sealed record BackendPool(ImmutableArray<Backend> Active, ImmutableArray<DrainingBackend> Draining, long Version)
{
    public static BackendPool Empty { get; } = new([], [], 0);

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
        var index = Active.IndexOf(failed);
        for (var i = 1; i < Active.Length; i++)
        {
            var candidate = Active[(index + i) % Active.Length];
            if (!candidate.IsEjected)
            {
                return candidate;
            }
        }

        return null;
    }
}
