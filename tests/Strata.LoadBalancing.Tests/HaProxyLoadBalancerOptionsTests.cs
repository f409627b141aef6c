using Strata.LoadBalancing.HaProxy;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class HaProxyLoadBalancerOptionsTests
{
    [Fact]
    public void Validate_Defaults_RunOneThreadWithSixtyFourSlots()
    {
        var options = new HaProxyLoadBalancerOptions { RootPath = "/var/lib/strata/haproxy" };

        Assert.Empty(options.Validate());
        Assert.Equal(1, options.Threads);
        Assert.Equal(64, options.ServerSlots);
    }

    [Fact]
    public void Validate_NegativeThreadsAndNoSlots_ListsBoth()
    {
        var options = new HaProxyLoadBalancerOptions { RootPath = "/var/lib/strata/haproxy", Threads = -1, ServerSlots = 0 };

        var errors = options.Validate();

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("Threads must be 0 (one per CPU) or more", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("ServerSlots", StringComparison.Ordinal));
    }
}
