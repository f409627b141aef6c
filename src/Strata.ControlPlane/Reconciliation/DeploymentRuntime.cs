using System.Text.Json;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.State;
using Strata.Planning;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// One deployment as the control plane holds it: what is desired and the observed state, swapped atomically and
/// persisted on every change (with a rising serial) before anyone acts on it, so a crash never loses a recorded intent.
/// </summary>
public sealed class DeploymentRuntime
{
    private readonly IStateStore _store;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DeploymentRecord _record;

    public DeploymentRuntime(IStateStore store, DeploymentRecord record, DesiredDeployment desired, DeploymentState state)
    {
        _store = store;
        _record = record;
        Desired = desired;
        State = state;
    }

    public string Name => _record.Name;

    public DesiredDeployment Desired { get; private set; }

    public DeploymentState State { get; private set; }

    public bool IsDeleting => _record.Status == DeploymentStatus.Deleting;

    /// <summary>Per-tier launch failures, for backoff; in memory, so a restart retries at once.</summary>
    public Dictionary<string, LaunchFailures> Failures { get; } = [];

    /// <summary>Why a tier is waiting (for a dependency), as last reported.</summary>
    public Dictionary<string, string> Waiting { get; } = [];

    /// <summary>Applies a change to the state and persists it before returning the new state.</summary>
    public async Task<DeploymentState> MutateAsync(Func<DeploymentState, DeploymentState> change, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var next = change(State);
            if (ReferenceEquals(next, State))
            {
                return State;
            }

            next = next with { Serial = State.Serial + 1 };
            await PersistAsync(_record with { StateJson = Serialize(next) }, next, ct).ConfigureAwait(false);
            return next;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Replaces what is desired (an apply) together with the state changes the plan makes.</summary>
    public async Task<DeploymentState> ApplyAsync(DesiredDeployment desired, Func<DeploymentState, DeploymentState> change, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var next = change(State) with { Serial = State.Serial + 1 };
            var record = _record with
            {
                SpecPath = desired.SpecPath,
                SpecText = desired.SpecText,
                Parameters = desired.Parameters,
                StateJson = Serialize(next),
                Status = DeploymentStatus.Active,
            };
            await PersistAsync(record, next, ct).ConfigureAwait(false);
            Desired = desired;
            Failures.Clear();
            return next;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task MarkDeletingAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var next = State with { Serial = State.Serial + 1 };
            await PersistAsync(_record with { Status = DeploymentStatus.Deleting, StateJson = Serialize(next) }, next, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task PersistAsync(DeploymentRecord record, DeploymentState next, CancellationToken ct)
    {
        // The record's serial and the state's serial move together so a saved plan can be checked against either.
        _record = await _store.SaveDeploymentAsync(record, _record.Serial, ct).ConfigureAwait(false) with { Serial = next.Serial };
        State = next;
    }

    public static string Serialize(DeploymentState state) => JsonSerializer.Serialize(state, StateJsonContext.Default.DeploymentState);

    public static DeploymentState Deserialize(string json) =>
        JsonSerializer.Deserialize(json, StateJsonContext.Default.DeploymentState) ?? throw new JsonException("empty state document");
}

/// <summary>Consecutive launch failures of a tier and when the next launch may be tried.</summary>
public sealed record LaunchFailures(int Count, DateTimeOffset NotBefore, string Message);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(DeploymentState))]
internal sealed partial class StateJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
