namespace Strata.LoadBalancing.Tests;

/// <summary>
/// Tests that drive a load balancer with <c>wrk</c> and hold it to a guarantee under that load (no failed request,
/// ejection within a second). They run one at a time, after the other classes, so that the two cores are not also
/// shared with the rest of the suite: the guarantee is about the load balancer, not about a machine overcommitted by
/// its own test run.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialLoadCollection
{
    public const string Name = "load under wrk, one at a time";
}
