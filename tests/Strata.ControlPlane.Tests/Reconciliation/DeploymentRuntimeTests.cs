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
        var store = new HeldStore(await _services.InitializedStoreAsync());
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

    /// <summary>The real store, whose deployment saves can be held up at the door.</summary>
    private sealed class HeldStore(IStateStore inner) : IStateStore
    {
        private TaskCompletionSource _door = Open();
        private volatile bool _waiting;

        public bool Waiting => _waiting;

        public string Name => inner.Name;

        public void Hold() => _door = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _door.TrySetResult();

        public async Task<DeploymentRecord> SaveDeploymentAsync(DeploymentRecord record, long expectedSerial, CancellationToken cancellationToken)
        {
            _waiting = true;
            await _door.Task.WaitAsync(cancellationToken);
            return await inner.SaveDeploymentAsync(record, expectedSerial, cancellationToken);
        }

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken) => inner.ListDeploymentsAsync(cancellationToken);

        public Task<DeploymentRecord?> GetDeploymentAsync(string name, CancellationToken cancellationToken) => inner.GetDeploymentAsync(name, cancellationToken);

        public Task DeleteDeploymentAsync(string name, CancellationToken cancellationToken) => inner.DeleteDeploymentAsync(name, cancellationToken);

        public Task<DeploymentEvent> AppendEventAsync(DeploymentEvent deploymentEvent, CancellationToken cancellationToken) =>
            inner.AppendEventAsync(deploymentEvent, cancellationToken);

        public Task<IReadOnlyList<DeploymentEvent>> ReadEventsAsync(string deployment, long afterId, int max, CancellationToken cancellationToken) =>
            inner.ReadEventsAsync(deployment, afterId, max, cancellationToken);

        public Task<int> PruneEventsAsync(int keepPerDeployment, DateTimeOffset olderThan, CancellationToken cancellationToken) =>
            inner.PruneEventsAsync(keepPerDeployment, olderThan, cancellationToken);

        private static TaskCompletionSource Open()
        {
            var open = new TaskCompletionSource();
            open.SetResult();
            return open;
        }
    }
}
