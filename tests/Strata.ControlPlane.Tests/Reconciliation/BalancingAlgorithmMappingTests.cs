using Strata.ControlPlane.Reconciliation;
using Strata.LoadBalancing;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Tests.Reconciliation;

[Trait("kind", "unit")]
public sealed class BalancingAlgorithmMappingTests
{
    [Fact]
    public void BalancingAlgorithmOf_EverySpecAlgorithm_IsTheDriverAlgorithmOfTheSameName()
    {
        var mapped = Enum.GetValues<LoadBalancingAlgorithm>()
            .Select(a => (a.ToString(), LoadBalancerCoordinator.BalancingAlgorithmOf(a).ToString()));

        Assert.All(mapped, pair => Assert.Equal(pair.Item1, pair.Item2));
        Assert.Equal(Enum.GetValues<LoadBalancingAlgorithm>().Length, Enum.GetValues<BalancingAlgorithm>().Length);
    }

    [Fact]
    public void BalancingAlgorithmOf_UndefinedValue_ThrowsInsteadOfCasting()
    {
        var undefined = (LoadBalancingAlgorithm)42;

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LoadBalancerCoordinator.BalancingAlgorithmOf(undefined));
        Assert.Contains("no load-balancing algorithm", error.Message, StringComparison.Ordinal);
    }
}
