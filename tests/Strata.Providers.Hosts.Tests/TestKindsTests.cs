using Strata.Testing;

namespace Strata.Providers.Hosts.Tests;

[Trait("kind", "unit")]
public sealed class TestKindsTests
{
    [Fact]
    public void EveryTestClass_SaysWhetherItIsUnitOrEndToEnd()
    {
        Assert.Empty(TestKinds.Untagged(typeof(TestKindsTests).Assembly));
    }
}
