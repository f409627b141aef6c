using Microsoft.Extensions.DependencyInjection;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class LoadBalancerDriverRegistryTests
{
    [Fact]
    public void Get_UnknownName_ListsKnownDrivers()
    {
        using var root = new TemporaryDirectory();
        using var provider = new ServiceCollection()
            .AddBuiltInLoadBalancer(o =>
            {
                o.RootPath = root.Path;
                o.ProxyCommand = ["strata", "proxy"];
            })
            .BuildServiceProvider();
        var registry = provider.GetRequiredService<ILoadBalancerDriverRegistry>();

        var error = Assert.Throws<KeyNotFoundException>(() => registry.Get("nginx"));

        Assert.Equal("Unknown load-balancer driver 'nginx'. Known drivers: builtin.", error.Message);
        Assert.Equal("builtin", registry.Get("BuiltIn").Name);
    }

    [Fact]
    public void Get_OptionsMissing_ReportsEveryProblem()
    {
        using var provider = new ServiceCollection().AddBuiltInLoadBalancer(o => o.StartTimeout = TimeSpan.Zero).BuildServiceProvider();

        var error = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<ILoadBalancerDriverRegistry>().Get("builtin"));

        Assert.Contains("RootPath is required", error.ToString());
        Assert.Contains("ProxyCommand must name the program", error.ToString());
        Assert.Contains("StartTimeout must be positive", error.ToString());
    }
}
