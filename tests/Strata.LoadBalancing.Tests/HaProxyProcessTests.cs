using Strata.LoadBalancing.HaProxy;

namespace Strata.LoadBalancing.Tests;

[Trait("kind", "e2e")]
public sealed class HaProxyProcessTests
{
    [Fact]
    public void Resolve_PathWithoutSbin_FindsDebiansHaProxyInUsrSbin()
    {
        // An ordinary user's PATH on Debian has no sbin folder, where the haproxy package installs its program.
        var found = HaProxyProcess.Resolve("haproxy", searchPath: "/usr/local/bin:/usr/bin:/bin");

        Assert.Equal("/usr/sbin/haproxy", found);
    }

    [Fact]
    public void Resolve_UnknownProgram_ReturnsNull()
    {
        Assert.Null(HaProxyProcess.Resolve("strata-no-such-program", searchPath: "/usr/bin:/bin"));
    }
}
