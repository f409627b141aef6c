using System.Net;
using Microsoft.AspNetCore.Http;

namespace Strata.LoadBalancing.Proxy.Membership;

/// <summary>Chooses the active backend for a new request; one implementation per load-balancing algorithm.</summary>
internal interface IBackendSelector
{
    string Name { get; }

    /// <summary>A backend from <paramref name="pool"/>'s active ones; the pool has at least one.</summary>
    Backend Select(BackendPool pool, HttpContext context);
}

internal static class BackendSelectors
{
    public static IBackendSelector Create(BalancingAlgorithm algorithm) => algorithm switch
    {
        BalancingAlgorithm.RoundRobin => new RoundRobinSelector(),
        BalancingAlgorithm.LeastConnections => new LeastConnectionsSelector(),
        BalancingAlgorithm.SourceHash => new SourceHashSelector(),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown load-balancing algorithm."),
    };
}

internal sealed class RoundRobinSelector : IBackendSelector
{
    private uint _next = uint.MaxValue;

    public string Name => "round-robin";

    public Backend Select(BackendPool pool, HttpContext context) =>
        pool.Active[(int)(Interlocked.Increment(ref _next) % (uint)pool.Active.Length)];
}

/// <summary>The backend with the fewest in-flight requests; ties rotate so an idle pool still spreads load.</summary>
internal sealed class LeastConnectionsSelector : IBackendSelector
{
    private uint _start = uint.MaxValue;

    public string Name => "least-connections";

    public Backend Select(BackendPool pool, HttpContext context)
    {
        var active = pool.Active;
        var start = (int)(Interlocked.Increment(ref _start) % (uint)active.Length);
        var best = active[start];
        for (var i = 1; i < active.Length; i++)
        {
            var candidate = active[(start + i) % active.Length];
            if (candidate.InFlight < best.InFlight)
            {
                best = candidate;
            }
        }

        return best;
    }
}

/// <summary>The same client address always lands on the same backend while membership is unchanged.</summary>
internal sealed class SourceHashSelector : IBackendSelector
{
    public string Name => "source-hash";

    public Backend Select(BackendPool pool, HttpContext context)
    {
        var hash = Hash(context.Connection.RemoteIpAddress);
        return pool.Active[(int)(hash % (uint)pool.Active.Length)];
    }

    // FNV-1a over the address bytes: unlike IPAddress.GetHashCode it is the same in every process, so a restarted
    // proxy keeps clients where they were.
    internal static uint Hash(IPAddress? address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address is null || !address.TryWriteBytes(bytes, out var written))
        {
            return 0;
        }

        var hash = 2166136261u;
        foreach (var b in bytes[..written])
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
