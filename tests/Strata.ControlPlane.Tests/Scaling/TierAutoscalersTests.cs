using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.Scaling;
using Strata.ControlPlane.State;
using Strata.Scaling.Metrics;
using Strata.Scaling.Policies;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Scaling;

[Trait("kind", "unit")]
public sealed class TierAutoscalersTests : IAsyncLifetime
{
    private const string Spec = """
        deployment: shop
        images:
          app: { from: ./app, run: sh run.sh }
        tiers:
          web:
            image: app
            servers: { min: 1, max: 3, desired: 1 }
            scaling:
              - { metric: requestRate, above: 10, for: 1s, cooldown: 5s }
        """;

    private readonly ManualTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly ControlPlaneServices _services = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task For_DeploymentCreatedAgainUnderTheSameName_StartsWithoutTheOldCooldown()
    {
        var store = await _services.InitializedStoreAsync();
        var scalers = new TierAutoscalers(_time);
        var first = Runtime(store);
        var scaler = Scaler(scalers, first);
        Assert.Null(scaler.Tick(Load(first)));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, scaler.Tick(Load(first))?.NewDesired);

        // Deleted, and created again a second later with no tick in between: the old tier's 5 s cooldown must not
        // hold the new one back.
        _time.Advance(TimeSpan.FromSeconds(1));
        var second = Runtime(store);
        var fresh = Scaler(scalers, second);
        Assert.Null(fresh.Tick(Load(second)));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.NotSame(scaler, fresh);
        Assert.Equal(2, fresh.Tick(Load(second))?.NewDesired);
    }

    [Fact]
    public async Task For_SameRuntimeAndSettings_KeepsTheAutoscalerUntilTheTierIsNoLongerRetained()
    {
        var store = await _services.InitializedStoreAsync();
        var scalers = new TierAutoscalers(_time);
        var runtime = Runtime(store);
        var scaler = Scaler(scalers, runtime);

        scalers.Retain([(runtime, "web")]);
        Assert.Same(scaler, Scaler(scalers, runtime));
        scalers.Retain([(Runtime(store), "web")]);
        Assert.Equal(0, scalers.Count);
    }

    private static TierAutoscaler Scaler(TierAutoscalers scalers, DeploymentRuntime runtime) =>
        scalers.For(runtime, runtime.Desired.Spec.FindTier("web")!, runtime.State.FindTier("web")!);

    private ScalingInput Load(DeploymentRuntime runtime) => new()
    {
        Desired = runtime.State.FindTier("web")!.Count.Desired,
        InService = 1,
        Metrics = new TierMetrics { Tier = "web", Timestamp = _time.GetUtcNow(), RequestsPerSecondPerServer = 50 },
    };

    private static DeploymentRuntime Runtime(IStateStore store) => AppliedDeployments.Runtime(store, Spec);
}
