using System.Text.Json;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.State;
using Strata.Planning.State;

using Strata.ControlPlane.Secrets;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// One deployment as the control plane holds it: what is desired and the observed state, swapped atomically and
/// persisted on every change (with a rising serial) before anyone acts on it, so a crash never loses a recorded intent.
/// </summary>
public sealed partial class DeploymentRuntime
{
    private readonly IStateStore _store;
    private readonly Lock _lock = new();
    private DeploymentRecord _record;
    private long _storedSerial;
    private readonly DeploymentSecrets? _secrets;
    private Task? _writer;

    public DeploymentRuntime(
        IStateStore store, DeploymentRecord record, DesiredDeployment desired, DeploymentState state, DesiredDeployment? previous = null, DeploymentSecrets? secrets = null)
    {
        _store = store;
        _record = record;
        _storedSerial = record.Serial;
        _secrets = secrets;
        Desired = desired;
        Previous = previous;
        UpdateScrubber();
        State = Scrubber.Scrub(state);
    }

    /// <summary>Backups and restores of each tier's data, one at a time.</summary>
    public Backups.TierDataGate TierData { get; } = new();

    /// <summary>Scrubs the secret values of <see cref="Desired"/> and <see cref="Previous"/> from captured text.</summary>
    public SecretScrubber Scrubber { get; private set; } = SecretScrubber.None;

    public string Name => _record.Name;

    public DesiredDeployment Desired { get; private set; }

    /// <summary>What was applied before <see cref="Desired"/>; null before the second apply.</summary>
    public DesiredDeployment? Previous { get; private set; }

    public DeploymentState State { get; private set; }

    public bool IsDeleting => _record.Status == DeploymentStatus.Deleting;

    /// <summary>
    /// When the first reconcile pass of this control plane ended for the deployment, successful or not; null before:
    /// until then nothing has resumed what it runs (probe loops, launches), so nothing can be overdue.
    /// </summary>
    public DateTimeOffset? ReconciledAt { get; private set; }

    /// <summary>Records that a reconcile pass ended (the first time only).</summary>
    public void MarkReconciled(DateTimeOffset at) => ReconciledAt ??= at;

    /// <summary>Why the deployment was rolled back since the last apply, or null.</summary>
    public string? RolledBack { get; private set; }

    /// <summary>The desired deployment whose launch a server was made with: the current one or, during a rollback, the previous.</summary>
    public DesiredDeployment DesiredFor(ServerState server)
    {
        foreach (var candidate in new[] { Desired, Previous })
        {
            var tier = candidate?.Spec.FindTier(server.Tier);
            if (candidate is not null && tier is not null && candidate.ImageDigest(tier) == server.ImageDigest && candidate.LaunchDigest(tier) == server.LaunchDigest)
            {
                return candidate;
            }
        }

        return Desired;
    }

    /// <summary>
    /// Applies a change to the state and returns once it is stored. Changes made while a save is under way are
    /// stored together by the next one (group commit), so many launches at once do not queue behind each other.
    /// </summary>
    public async Task<DeploymentState> MutateAsync(Func<DeploymentState, DeploymentState> change, CancellationToken ct)
    {
        DeploymentState next;
        lock (_lock)
        {
            next = change(State);
            if (ReferenceEquals(next, State))
            {
                return State;
            }

            next = Scrubber.Scrub(next) with { Serial = State.Serial + 1 };
            State = next;
        }

        await PersistAsync(next.Serial, ct).ConfigureAwait(false);
        return next;
    }

    /// <summary>
    /// Replaces the server's record (see <see cref="DeploymentState.WithServer"/>), stamped with <paramref name="now"/>
    /// when its state changed; a server no longer recorded stays gone.
    /// </summary>
    public Task<DeploymentState> SetServerAsync(ServerState server, DateTimeOffset now, CancellationToken ct) =>
        MutateAsync(s => s.WithServer(server, now), ct);

    /// <summary>
    /// Applies a change that a restarted control plane derives again by itself, without waiting for it to be stored:
    /// it is stored by the save under way or the next one. Only for a launch's progress (configuring, booting), which
    /// the provider's launch, idempotent on the server's name, re-establishes from its own record after a crash.
    /// Waiting for two saves of the whole state per launch was, after the launch pacer, the largest cost of a launch
    /// on a busy machine (a median of 340 ms of 620 ms at 100 servers).
    /// </summary>
    public DeploymentState Amend(Func<DeploymentState, DeploymentState> change)
    {
        lock (_lock)
        {
            var next = change(State);
            if (ReferenceEquals(next, State))
            {
                return State;
            }

            State = Scrubber.Scrub(next) with { Serial = State.Serial + 1 };
            _writer ??= Task.Run(WriteLatestAsync, CancellationToken.None);
            return State;
        }
    }

    /// <summary>Replaces what is desired (an apply) together with the state changes the plan makes.</summary>
    public async Task<DeploymentState> ApplyAsync(DesiredDeployment desired, Func<DeploymentState, DeploymentState> change, CancellationToken ct)
    {
        DeploymentState next;
        lock (_lock)
        {
            var changed = _record.SpecText.Length > 0 && (desired.SpecText != Desired.SpecText || !SameDigests(desired, Desired) || !SameParameters(desired, Desired));
            Previous = changed ? Desired : Previous;
            Desired = desired;
            UpdateScrubber();
            next = Scrubber.Scrub(change(State)) with { Serial = State.Serial + 1 };
            State = next;
            _record = _record with
            {
                SpecPath = desired.SpecPath,
                SpecText = desired.SpecText,
                Parameters = desired.Parameters,
                Status = DeploymentStatus.Active,
                Previous = Previous?.ToInput(),
            };
            Volatile.Write(ref _failures, _failures.Clear());
            RolledBack = null;
        }

        await PersistAsync(next.Serial, ct).ConfigureAwait(false);
        return next;
    }

    /// <summary>
    /// Makes the previous apply the desired one again (the current becomes the previous), with the state changes
    /// that start rolling the tiers back. Returns false when there is nothing to roll back to.
    /// </summary>
    public async Task<bool> RollbackAsync(string reason, Func<DeploymentState, DesiredDeployment, DesiredDeployment, DeploymentState> change, CancellationToken ct)
    {
        DeploymentState next;
        lock (_lock)
        {
            if (Previous is not { } target)
            {
                return false;
            }

            next = Scrubber.Scrub(change(State, Desired, target)) with { Serial = State.Serial + 1 };
            State = next;
            _record = _record with { SpecPath = target.SpecPath, SpecText = target.SpecText, Parameters = target.Parameters, Previous = Desired.ToInput() };
            (Previous, Desired) = (Desired, target);
            UpdateScrubber();
            RolledBack = reason;
        }

        await PersistAsync(next.Serial, ct).ConfigureAwait(false);
        return true;
    }

    public async Task MarkDeletingAsync(CancellationToken ct)
    {
        DeploymentState next;
        lock (_lock)
        {
            next = State with { Serial = State.Serial + 1 };
            State = next;
            _record = _record with { Status = DeploymentStatus.Deleting };
        }

        await PersistAsync(next.Serial, ct).ConfigureAwait(false);
    }

    private void UpdateScrubber()
    {
        Scrubber = SecretScrubber.Of(Desired, Previous);
        _secrets?.Set(Name, Scrubber);
    }

    private static bool SameDigests(DesiredDeployment a, DesiredDeployment b) =>
        a.ImageDigests.Count == b.ImageDigests.Count && a.ImageDigests.All(d => b.ImageDigests.GetValueOrDefault(d.Key) == d.Value);

    private static bool SameParameters(DesiredDeployment a, DesiredDeployment b) =>
        a.Parameters.Count == b.Parameters.Count && a.Parameters.All(p => b.Parameters.GetValueOrDefault(p.Key) == p.Value);

    /// <summary>Waits until a state at least as new as <paramref name="serial"/> is stored, starting a save if none runs.</summary>
    private async Task PersistAsync(long serial, CancellationToken ct)
    {
        while (true)
        {
            Task writer;
            lock (_lock)
            {
                if (_storedSerial >= serial)
                {
                    return;
                }

                writer = _writer ??= Task.Run(WriteLatestAsync, CancellationToken.None);
            }

            await writer.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task WriteLatestAsync()
    {
        try
        {
            DeploymentRecord record;
            DeploymentState snapshot;
            long expected;
            lock (_lock)
            {
                (record, snapshot, expected) = (_record, State, _storedSerial);
            }

            // The record's serial and the state's serial are the same number, so a saved plan can be checked against either.
            await _store.SaveDeploymentAsync(record with { Serial = snapshot.Serial, StateJson = Serialize(snapshot) }, expected, CancellationToken.None).ConfigureAwait(false);
            lock (_lock)
            {
                _storedSerial = snapshot.Serial;
                _writer = null;

                // A change amended while this save ran has no one waiting for it: the next save starts at once.
                if (State.Serial > _storedSerial)
                {
                    _writer = Task.Run(WriteLatestAsync, CancellationToken.None);
                }
            }
        }
        catch
        {
            lock (_lock)
            {
                _writer = null;
            }

            throw;
        }
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
