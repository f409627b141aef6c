using Strata.Api.Contracts.Events;

namespace Strata.ControlPlane.State;

public enum DeploymentStatus { Active, Deleting }

/// <summary>
/// What the control plane keeps about one deployment: the desired input (spec and parameters) and the observed
/// state document. <see cref="Serial"/> rises with every save and guards against lost updates.
/// </summary>
public sealed record DeploymentRecord
{
    public required string Name { get; init; }

    public long Serial { get; init; }

    /// <summary>The absolute path of the spec file the deployment was applied from.</summary>
    public required string SpecPath { get; init; }

    /// <summary>The spec text as applied, so a restart does not depend on the file being unchanged.</summary>
    public required string SpecText { get; init; }

    /// <summary>Parameter values as given, secrets included: the servers need them again after a restart.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>The observed state as JSON (a <c>DeploymentState</c>).</summary>
    public required string StateJson { get; init; }

    public DeploymentStatus Status { get; init; } = DeploymentStatus.Active;

    /// <summary>What was applied before the current spec: the target of a rollback.</summary>
    public AppliedInput? Previous { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A spec as it was applied: its text and parameters, and the source digests of its image folders then.</summary>
public sealed record AppliedInput(
    string SpecPath, string SpecText, IReadOnlyDictionary<string, string> Parameters, IReadOnlyDictionary<string, string> ImageDigests);

/// <summary>Raised when a save finds a serial other than the one the caller read: someone else changed the deployment.</summary>
public sealed class StateConflictException(string deployment, long expected, long actual)
    : Exception($"deployment '{deployment}' changed concurrently (expected serial {expected}, found {actual})");

/// <summary>Durable storage for deployments and their events. Chosen by name; <c>sqlite</c> is the embedded default.</summary>
public interface IStateStore
{
    string Name { get; }

    Task InitializeAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken);

    Task<DeploymentRecord?> GetDeploymentAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Saves the record with its own serial, or <c>expectedSerial + 1</c> when that is not higher; throws
    /// <see cref="StateConflictException"/> when the stored serial is not <paramref name="expectedSerial"/>.
    /// </summary>
    Task<DeploymentRecord> SaveDeploymentAsync(DeploymentRecord record, long expectedSerial, CancellationToken cancellationToken);

    /// <summary>Deletes the deployment and every event it has.</summary>
    Task DeleteDeploymentAsync(string name, CancellationToken cancellationToken);

    Task<DeploymentEvent> AppendEventAsync(DeploymentEvent deploymentEvent, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeploymentEvent>> ReadEventsAsync(string deployment, long afterId, int max, CancellationToken cancellationToken);

    /// <summary>Deletes the events of each deployment beyond its newest <paramref name="keepPerDeployment"/>, and every event older than <paramref name="olderThan"/>; returns how many.</summary>
    Task<int> PruneEventsAsync(int keepPerDeployment, DateTimeOffset olderThan, CancellationToken cancellationToken);
}
