namespace Strata.LoadBalancing;

/// <summary>Picks a load-balancer driver by the name a spec gives (<c>builtin</c>, <c>haproxy</c>, …).</summary>
public interface ILoadBalancerDriverRegistry
{
    /// <summary>The names of every registered driver, sorted.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The driver with that name (case-insensitive).</summary>
    /// <exception cref="KeyNotFoundException">No driver has that name; the message lists the known ones.</exception>
    ILoadBalancerDriver Get(string name);
}

internal sealed class LoadBalancerDriverRegistry : ILoadBalancerDriverRegistry
{
    private readonly Dictionary<string, ILoadBalancerDriver> _drivers;

    public LoadBalancerDriverRegistry(IEnumerable<ILoadBalancerDriver> drivers)
    {
        _drivers = new Dictionary<string, ILoadBalancerDriver>(StringComparer.OrdinalIgnoreCase);
        foreach (var driver in drivers)
        {
            if (!_drivers.TryAdd(driver.Name, driver))
            {
                throw new InvalidOperationException($"Two load-balancer drivers are registered as '{driver.Name}'.");
            }
        }

        Names = [.. _drivers.Keys.Order(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> Names { get; }

    public ILoadBalancerDriver Get(string name) =>
        _drivers.TryGetValue(name, out var driver)
            ? driver
            : throw new KeyNotFoundException(
                $"Unknown load-balancer driver '{name}'. Known drivers: {(Names.Count == 0 ? "(none)" : string.Join(", ", Names))}.");
}
