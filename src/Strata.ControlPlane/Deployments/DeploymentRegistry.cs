using System.Collections.Concurrent;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.Secrets;
using Strata.ControlPlane.State;
using Strata.Planning.State;

namespace Strata.ControlPlane.Deployments;

/// <summary>The deployments this control plane runs, loaded from the state store on start.</summary>
public sealed class DeploymentRegistry(IStateStore store, EventLog events, DeploymentSecrets secrets)
{
    private readonly ConcurrentDictionary<string, DeploymentRuntime> _runtimes = new(StringComparer.Ordinal);

    // The state of deployments whose applied spec could not be reloaded: they still exist, with what their state records.
    private readonly ConcurrentDictionary<string, DeploymentState> _unloaded = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Raised when a deployment was added or changed and should be reconciled.</summary>
    public event Action<string>? Changed;

    public IEnumerable<DeploymentRuntime> All => _runtimes.Values;

    /// <summary>Every load balancer the deployments' state places on a host, with its deployment.</summary>
    public IEnumerable<(string Deployment, LoadBalancerState State)> LoadBalancersOnHosts() =>
        All.SelectMany(d => d.State.LoadBalancers.Where(l => l.Host is not null).Select(l => (d.Name, l)));

    public DeploymentRuntime? Find(string name) => _runtimes.GetValueOrDefault(name);

    public Task WhenLoaded => _loaded.Task;

    /// <summary>
    /// Whether a deployment records the volume in its state: a loaded one, or one whose applied spec could not be
    /// reloaded. Ask once <see cref="WhenLoaded"/> is done: before, no deployment is known.
    /// </summary>
    public bool RecordsVolume(string deployment, string volumeId) =>
        (Find(deployment)?.State ?? _unloaded.GetValueOrDefault(deployment))?.Volumes.Any(v => v.Name == volumeId) == true;

    /// <summary>Whether the deployment exists but its applied spec could not be reloaded (an event of it says why).</summary>
    public bool IsUnloaded(string deployment) => Find(deployment) is null && _unloaded.ContainsKey(deployment);

    public async Task LoadAsync(CancellationToken ct)
    {
        await store.InitializeAsync(ct).ConfigureAwait(false);
        foreach (var record in await store.ListDeploymentsAsync(ct).ConfigureAwait(false))
        {
            var state = DeploymentRuntime.Deserialize(record.StateJson);
            try
            {
                var desired = SpecSource.Parse(record.SpecText, record.SpecPath, record.Parameters, CurrentDigests(state));
                var previous = record.Previous is null ? null : SpecSource.Restore(record.Previous);
                state = LaunchDigestUpgrade.Apply(state, desired.Spec, previous?.Spec);
                _runtimes[record.Name] = new DeploymentRuntime(store, record, desired, state, previous, secrets);
            }
            catch (InvalidSpecException ex)
            {
                _unloaded[record.Name] = state;
                // The spec was valid when applied; an image folder may have gone since. Keep the servers running.
                await events.PublishAsync(record.Name, EventKinds.DeploymentError, $"cannot reload the applied spec: {string.Join("; ", ex.Errors)}", severity: EventSeverity.Error, cancellationToken: ct).ConfigureAwait(false);
            }
        }

        _loaded.TrySetResult();
    }

    /// <summary>
    /// The image digests the running servers were launched with, so that a restart does not take an edited image
    /// folder for a new apply: only <c>strata up</c> changes what is desired.
    /// </summary>
    private static IReadOnlyDictionary<string, string> CurrentDigests(DeploymentState state) =>
        state.Images.ToDictionary(i => i.LogicalName, i => i.Digest, StringComparer.Ordinal);

    public DeploymentRuntime GetOrAdd(string name, Func<DeploymentRuntime> create) => _runtimes.GetOrAdd(name, _ => create());

    /// <summary>
    /// The runtime of a deployment applied for the first time, known to no one yet: <see cref="Add"/> it once its first
    /// apply is made. A reconcile pass that found it earlier would see its spec without the state its plan creates and
    /// create again what the apply creates (under load, a second load balancer under another name, whose start then
    /// failed on the first one's port).
    /// </summary>
    public DeploymentRuntime CreateNew(string name, DesiredDeployment desired, DeploymentState state) =>
        new(store, NewRecord(name), desired, state, secrets: secrets);

    /// <summary>Makes a deployment made by <see cref="CreateNew"/> known to reconcile passes and the API.</summary>
    public void Add(DeploymentRuntime runtime)
    {
        if (!_runtimes.TryAdd(runtime.Name, runtime))
        {
            throw new InvalidOperationException($"deployment '{runtime.Name}' is already known");
        }
    }

    public void Signal(string name) => Changed?.Invoke(name);

    public async Task RemoveAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        // Followers see the deletion before its events go with the deployment.
        await events.PublishAsync(runtime.Name, EventKinds.DeploymentDeleted, $"deployment {runtime.Name} deleted", cancellationToken: ct).ConfigureAwait(false);
        await store.DeleteDeploymentAsync(runtime.Name, ct).ConfigureAwait(false);
        _runtimes.TryRemove(runtime.Name, out _);
    }

    public static DeploymentRecord NewRecord(string name) => new()
    {
        Name = name,
        SpecPath = "",
        SpecText = "",
        StateJson = DeploymentRuntime.Serialize(DeploymentState.Empty(name)),
    };
}
