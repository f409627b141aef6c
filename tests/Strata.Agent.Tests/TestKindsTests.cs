using Strata.Testing;

namespace Strata.Agent.Tests;

[Trait("kind", "unit")]
public sealed class TestKindsTests
{
    [Fact]
    public void EveryTestClass_SaysWhetherItIsUnitOrEndToEnd()
    {
        Assert.Empty(TestKinds.Untagged(typeof(TestKindsTests).Assembly));
    }
}
