using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.Planning.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>A launch's progress is recorded without waiting for the store, and stored all the same.</summary>
[Trait("kind", "unit")]
public sealed class DeploymentRuntimeTests : IAsyncDisposable
{
    private static readonly string s_yaml = Specs.Web(servers: 2);

    private readonly ControlPlaneServices _services = new();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task Amend_WhileASaveIsHeldUp_ReturnsAtOnceAndIsStoredAfterIt()
    {
        var store = new HeldStateStore(await _services.InitializedStoreAsync());
        var runtime = AppliedDeployments.Runtime(store, s_yaml);
        var (first, second) = (runtime.State.FindTier("web")!.Servers[0], runtime.State.FindTier("web")!.Servers[1]);
        store.Hold();
        var save = runtime.MutateAsync(s => s.WithServer(first with { State = ServerStatus.Configuring }, DateTimeOffset.UnixEpoch), CancellationToken.None);
        await Eventually.WaitAsync(() => store.Waiting, "the first save to reach the store");

        // Recorded in memory at once, while the store still holds the save before it.
        var amended = runtime.Amend(s => s.WithServer(second with { State = ServerStatus.Booting }, DateTimeOffset.UnixEpoch));
        Assert.Equal(ServerStatus.Booting, runtime.State.FindServer("web", second.Name)!.State);
        Assert.False(save.IsCompleted);

        store.Release();
        await save.WithTimeout();
        await Eventually.WaitAsync(async () => (await store.GetDeploymentAsync("shop", CancellationToken.None))?.Serial == amended.Serial, "the amended state to be stored");
        var stored = DeploymentRuntime.Deserialize((await store.GetDeploymentAsync("shop", CancellationToken.None))!.StateJson);
        Assert.Equal(ServerStatus.Booting, stored.FindServer("web", second.Name)!.State);
        Assert.Equal(ServerStatus.Configuring, stored.FindServer("web", first.Name)!.State);
    }
}
