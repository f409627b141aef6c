using Strata.LoadBalancing.BuiltIn;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "unit")]
public sealed class BuiltInLoadBalancerOptionsTests
{
    [Fact]
    public void Validate_Defaults_ForwardOnOneInlineSocketThread()
    {
        var options = new BuiltInLoadBalancerOptions { RootPath = "/var/lib/strata/lb", ProxyCommand = ["/usr/bin/strata", "proxy"] };

        Assert.Empty(options.Validate());
        Assert.True(options.InlineSocketCompletions);
        Assert.Equal(1, options.SocketEventThreads);
    }

    [Fact]
    public void Validate_NegativeSocketEventThreadsAndMissingRoot_ListsBoth()
    {
        var options = new BuiltInLoadBalancerOptions { ProxyCommand = ["/usr/bin/strata", "proxy"], SocketEventThreads = -1 };

        var errors = options.Validate();

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Contains("RootPath", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("SocketEventThreads", StringComparison.Ordinal));
    }
}
