using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.Backups;
using Strata.Backups.Services;
using Strata.Backups.Snapshots;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Providers;

namespace Strata.ControlPlane.Backups;

/// <summary>A completed backup: a volume snapshot or a file written by a service's backup hook.</summary>
/// <param name="Bytes">The backup's size: a snapshot's the sum of the volume's files it describes (however few it had
/// to read), a service backup's that of the file its hook wrote.</param>
/// <param name="Files">For a snapshot, how many files it describes.</param>
public sealed record BackupOutcome(
    string Tier, string Policy, string Kind, string Id, string Server, DateTimeOffset Created, long Bytes, string? Sha256, string? Volume, string? Image, int? Files = null,
    bool Encrypted = false);

/// <summary>One or more backups of a run failed; the others were made. Every earlier backup is kept.</summary>
public sealed class BackupRunFailedException(string message, IReadOnlyList<BackupOutcome> completed) : Exception(message)
{
    public IReadOnlyList<BackupOutcome> Completed { get; } = completed;
}

/// <summary>
/// Takes the backups of a deployment's policies: a snapshot of a tier's volume on one server between its
/// <c>freeze</c> and <c>thaw</c> hooks, or the file its <c>backup</c> hook writes. A successful backup is recorded,
/// the policy's retention is applied and a copy to the disaster-recovery store is queued; a failed one is recorded
/// and reported as an event, and nothing earlier is removed.
/// </summary>
public sealed partial class BackupRunner(
    ICloudProvider provider,
    BackupStores stores,
    ServerHooks hooks,
    StoreRetry retry,
    BackupCatalog catalog,
    BackupRetention retention,
    DisasterRecoveryReplication replication,
    EventLog events,
    IOptions<ControlPlaneOptions> options,
    TimeProvider time,
    ILogger<BackupRunner> logger)
{
    /// <summary>Runs the selected policies one after another.</summary>
    /// <param name="waiting">Told, when a policy waits for a backup or restore of its tier under way, what it waits for.</param>
    /// <exception cref="BackupRunFailedException">At least one failed; the message says which and why.</exception>
    public async Task<IReadOnlyList<BackupOutcome>> RunAsync(
        DeploymentRuntime runtime, IReadOnlyList<TierPolicy> policies, IProgress<BackupProgress>? progress, Func<string, Task>? waiting, CancellationToken ct)
    {
        var completed = new List<BackupOutcome>();
        var failures = new List<string>();
        foreach (var policy in policies)
        {
            try
            {
                completed.Add(await RunPolicyAsync(runtime, policy, progress, waiting, ct).ConfigureAwait(false));
            }
            catch (Exception ex) when (IsBackupFailure(ex))
            {
                failures.Add($"{policy.Tier.Name}/{policy.Policy.Name}: {ex.Message}");
            }
        }

        return failures.Count == 0 ? completed : throw new BackupRunFailedException(string.Join("; ", failures), completed);
    }

    /// <summary>Takes one backup; a failure is recorded and published before it is thrown.</summary>
    public async Task<BackupOutcome> RunPolicyAsync(
        DeploymentRuntime runtime, TierPolicy policy, IProgress<BackupProgress>? progress, Func<string, Task>? waiting, CancellationToken ct)
    {
        var what = $"a {policy.Kind} backup ({policy.Policy.Name})";
        using var holding = await runtime.TierData.EnterAsync(
            policy.Tier.Name, what, waiting is null ? null : busy => waiting($"{busy} of tier {policy.Tier.Name} is under way; {what} starts when it has ended"), ct)
            .ConfigureAwait(false);
        var started = time.GetUtcNow();
        try
        {
            var outcome = policy.Policy.Kind == Spec.Model.BackupKind.Snapshot
                ? await SnapshotAsync(runtime, policy, progress, ct).ConfigureAwait(false)
                : await ServiceBackupAsync(runtime, policy, ct).ConfigureAwait(false);
            await RecordAsync(runtime, policy, r => r with
            {
                LastBackupId = outcome.Id, LastBackupAt = outcome.Created, LastBackupBytes = outcome.Bytes, LastAttemptAt = started, LastError = null,
            }, ct).ConfigureAwait(false);
            await events.PublishAsync(runtime.Name, EventKinds.BackupCompleted, $"{policy.Kind} backup {outcome.Id} of tier {outcome.Tier} ({policy.Policy.Name}) taken on {outcome.Server}: {outcome.Bytes} bytes{(outcome.Files is { } files ? $" in {files} file{(files == 1 ? "" : "s")}" : "")}", Resource(policy), cancellationToken: ct).ConfigureAwait(false);
            await retention.PruneAsync(runtime, policy, stores.Primary(runtime), ct).ConfigureAwait(false);
            await replication.EnqueueAsync(new ReplicationItem(runtime, policy, outcome.Id), ct).ConfigureAwait(false);
            return outcome;
        }
        catch (Exception ex) when (IsBackupFailure(ex))
        {
            LogBackupFailed(logger, ex, runtime.Name, policy.Tier.Name, policy.Policy.Name);
            await RecordAsync(runtime, policy, r => r with { LastAttemptAt = started, LastError = ex.Message, LastErrorAt = time.GetUtcNow() }, CancellationToken.None).ConfigureAwait(false);
            await events.PublishAsync(runtime.Name, EventKinds.BackupFailed, $"{policy.Kind} backup of tier {policy.Tier.Name} ({policy.Policy.Name}) failed; earlier backups are kept: {ex.Message}", Resource(policy), EventSeverity.Error, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<BackupOutcome> SnapshotAsync(DeploymentRuntime runtime, TierPolicy policy, IProgress<BackupProgress>? progress, CancellationToken ct)
    {
        var server = await BackupPolicies.ServerAsync(provider, runtime, policy.Tier.Name, ct).ConfigureAwait(false);
        var volume = runtime.State.Volumes.FirstOrDefault(v => v.Server == server.Id && v.LogicalName == policy.Policy.Volume && v.Path is not null)
            ?? throw new InvalidOperationException($"server {server.Id} has no volume '{policy.Policy.Volume}' attached");
        var (freeze, thaw) = (HookStep(runtime, policy, server, "freeze"), HookStep(runtime, policy, server, "thaw"));

        // A volume on a host is copied here first, frozen for the copy only; the snapshot then reads the copy.
        using var readable = await VolumeWhereabouts.ReadableAsync(provider, volume.Name, volume.Path!, options.Value.Paths.Root, freeze, thaw, ct).ConfigureAwait(false);
        if (readable.IsCopy)
        {
            (freeze, thaw) = (null, null);
        }

        var request = new SnapshotRequest(
            readable.Path, runtime.Name, policy.Tier.Name, server.Id, volume.LogicalName, BackupPolicies.EncryptionKey(runtime, policy.Policy), freeze, thaw);
        var result = await retry.ExecuteAsync(runtime.Name, $"snapshot of {policy.Tier.Name}/{volume.LogicalName}",
            token => new SnapshotEngine(stores.Primary(runtime), timeProvider: time).SnapshotAsync(request, progress, token), ct).ConfigureAwait(false);
        var manifest = result.Manifest;
        // The engine reports as it reads; the chunks still uploading after its last read are counted here.
        progress?.Report(new BackupProgress(manifest.FileCount, result.BytesRead, result.ChunksUploaded, result.ChunksReused, result.BytesUploaded));
        return new BackupOutcome(policy.Tier.Name, policy.Policy.Name, policy.Kind, manifest.Id, server.Id, manifest.Created, manifest.TotalBytes, null, volume.LogicalName, null, manifest.FileCount,
            manifest.Encryption is not null);
    }

    /// <summary>The hook as a snapshot step, or null when the image has no such hook.</summary>
    private Func<CancellationToken, Task>? HookStep(DeploymentRuntime runtime, TierPolicy policy, ServerInstance server, string hook) =>
        ServerHooks.Find(runtime, policy.Tier, hook) is null ? null : token => hooks.RunAsync(runtime, policy.Tier, server, hook, null, null, token);

    private async Task<BackupOutcome> ServiceBackupAsync(DeploymentRuntime runtime, TierPolicy policy, CancellationToken ct)
    {
        var server = await BackupPolicies.ServerAsync(provider, runtime, policy.Tier.Name, ct).ConfigureAwait(false);
        using var scratch = new ScratchFolder(options.Value.Paths.Root);
        var file = Path.Combine(scratch.Path, "backup");
        await hooks.RunAsync(runtime, policy.Tier, server, "backup", null, ServerHooks.BackupFile(file), ct).ConfigureAwait(false);
        var image = $"{policy.Tier.Image}@{runtime.Desired.ImageDigest(policy.Tier)}";
        var request = new ServiceBackupRequest(runtime.Name, policy.Tier.Name, server.Id, policy.Policy.Name, image);
        var info = await retry.ExecuteAsync(runtime.Name, $"upload of the {policy.Policy.Name} backup of {policy.Tier.Name}",
            token => new ServiceBackupStore(stores.Primary(runtime), time).UploadAsync(file, request, BackupPolicies.EncryptionKey(runtime, policy.Policy), token), ct).ConfigureAwait(false);
        return new BackupOutcome(
            policy.Tier.Name, policy.Policy.Name, policy.Kind, info.Id, server.Id, info.Created, info.Size, info.Sha256, null, info.Image, Encrypted: info.Encryption is not null);
    }

    private Task RecordAsync(DeploymentRuntime runtime, TierPolicy policy, Func<BackupRecord, BackupRecord> change, CancellationToken ct) =>
        catalog.UpdateAsync(runtime.Name, policy.Tier.Name, policy.Policy.Name, policy.Kind, change, ct);

    internal static string Resource(TierPolicy policy) => $"tiers.{policy.Tier.Name}.backups.{policy.Policy.Name}";

    /// <summary>Failures of one backup that leave the others (and the control plane) unaffected.</summary>
    public static bool IsBackupFailure(Exception ex) => ex is BackupHookException or BackupFailedException or BackupCorruptException
        or BackupNotFoundException or Storage.ObjectStoreUnavailableException or InvalidOperationException or IOException or UnauthorizedAccessException;

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "Backup {Policy} of {Deployment}/{Tier} failed")]
    private static partial void LogBackupFailed(ILogger logger, Exception exception, string deployment, string tier, string policy);
}
