using Strata.Api.Contracts.Events;
using Strata.ControlPlane.State;

namespace Strata.ControlPlane.Tests;

/// <summary>The real store, whose deployment saves can be held up at the door.</summary>
internal sealed class HeldStateStore(IStateStore inner) : IStateStore
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
