using Strata.Api.Contracts.Events;
using Strata.Common.Text;
using Strata.ControlPlane.Events;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// A server's volumes through its life: created (or taken over from the server it replaces, or restored from the
/// snapshot the spec names) and attached at launch; handed over to its replacement when it fails; and, when it is
/// terminated, kept for its replacement or deleted by their policy, as the cause of the termination says.
/// </summary>
public sealed class VolumeLifecycle(ICloudProvider provider, Backups.IVolumeBackups volumeBackups, EventLog events, TimeProvider time)
{
    // Only names new volumes; nothing a test must control.
    private readonly Random _random = new();

    public async Task<IReadOnlyList<VolumeAttachment>> AttachAsync(DeploymentRuntime runtime, TierSpec tier, ServerState server, CancellationToken ct)
    {
        var attachments = new List<VolumeAttachment>();
        foreach (var volume in tier.Volumes)
        {
            if (tier.VolumeRecovery == VolumeRecovery.RestoreLatest && provider is IRemoteVolumes remote)
            {
                await GiveUpLostAsync(runtime, tier, volume, server.Name, remote, ct).ConfigureAwait(false);
            }

            var state = await runtime.MutateAsync(s => VolumeBook.Attach(s, runtime.Name, tier, volume, server.Name, _random), ct).ConfigureAwait(false);
            var record = state.Volumes.First(v => v.Server == server.Name && v.LogicalName == volume.Name);
            var info = await provider.CreateVolumeAsync(new VolumeRequest
            {
                VolumeId = record.Name,
                Name = volume.Name,
                Deployment = runtime.Name,
                SizeMiB = volume.SizeBytes / (1024 * 1024),
            }, ct).ConfigureAwait(false);
            if (record.Path != info.Path)
            {
                // A volume moved to a host has its path there: only a new one (no path yet) starts from a snapshot.
                // Its path is recorded once it is filled, so that a restart in between fills it again.
                var recovered = record.Path is null ? await FillNewAsync(runtime, volume, record with { Path = info.Path }, ct).ConfigureAwait(false) : null;
                await runtime.MutateAsync(s => s.WithVolume(Filled(s.Volumes.FirstOrDefault(v => v.Name == record.Name) ?? record, info.Path, recovered)), ct)
                    .ConfigureAwait(false);
            }

            attachments.Add(new VolumeAttachment(record.Name, volume.Mount));
        }

        return attachments;
    }

    /// <summary>A volume filled and in place at <paramref name="path"/>, with the snapshot it was recovered from, if it was.</summary>
    private static VolumeState Filled(VolumeState volume, string path, LostVolumeRecovery? recovered) =>
        volume with { Path = path, RecoveringFrom = null, RecoveringFromHost = null, Recovered = recovered ?? volume.Recovered };

    /// <summary>
    /// A new volume starts from the newest snapshot when it replaces one on a lost host (which snapshot is returned,
    /// to be recorded with the volume's path), else from the snapshot the spec names, if any.
    /// </summary>
    private async Task<LostVolumeRecovery?> FillNewAsync(DeploymentRuntime runtime, VolumeSpec volume, VolumeState record, CancellationToken ct)
    {
        if (record.RecoveringFrom is { } lost)
        {
            // Forgotten again here: a restart may have come between recording this volume and forgetting the lost one.
            if (provider is IRemoteVolumes remote)
            {
                await remote.AbandonAsync(lost, ct).ConfigureAwait(false);
            }

            var snapshot = await volumeBackups.RecoverAsync(runtime, record, record.Path!, ct).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var age = now - snapshot.Created;
            await events.PublishAsync(runtime.Name, EventKinds.VolumeRecovered,
                $"volume {record.Name} restored from snapshot {snapshot.Id} ({snapshot.Store} store, taken {snapshot.Created:yyyy-MM-dd HH:mm:ss}Z) in place of {lost} on lost host {record.RecoveringFromHost}: "
                + $"recovery point {Ages.Of(age)} ago; what was written since is on the lost host only",
                $"volumes.{record.Tier}.{record.LogicalName}", EventSeverity.Warning, ct).ConfigureAwait(false);
            return new LostVolumeRecovery(snapshot.Id, snapshot.Store, snapshot.Created, now, lost, record.RecoveringFromHost ?? "");
        }

        if (volume.RestoreFrom is { } named)
        {
            // A new volume of a spec that names a snapshot starts from it, as CloudFormation snapshot parameters do.
            await volumeBackups.RestoreAsync(runtime, record, record.Path!, named, ct).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>
    /// Gives up the tier's free volume that is on a lost host, for a new one recovered from the newest snapshot. The
    /// new volume is recorded (as recovering) in the same step that forgets the lost one, and only then is the lost one
    /// abandoned by the provider: a restart at any point either finds the lost volume still there or recovers the new.
    /// A volume without a snapshot to recover from is not given up: the server waits for its host, saying why.
    /// </summary>
    private async Task GiveUpLostAsync(DeploymentRuntime runtime, TierSpec tier, VolumeSpec volume, string server, IRemoteVolumes remote, CancellationToken ct)
    {
        if (runtime.State.Volumes.Any(v => v.Server == server && v.LogicalName == volume.Name && v.Tier == tier.Name))
        {
            return;
        }

        foreach (var free in runtime.State.Volumes.Where(v => v.Server is null && v.Tier == tier.Name && v.LogicalName == volume.Name).ToList())
        {
            if (await remote.LostHostOfAsync(free.Name, ct).ConfigureAwait(false) is not { } host)
            {
                continue;
            }

            if (await volumeBackups.FindNewestAsync(runtime, tier.Name, volume.Name, ct).ConfigureAwait(false) is null)
            {
                throw new InvalidOperationException($"volume {free.Name} is on lost host {host}, and neither the primary nor the disasterRecovery store holds a snapshot of "
                    + $"volume {volume.Name} of tier {tier.Name} to restore it from: the server waits for the host to be back");
            }

            var state = await runtime.MutateAsync(s => VolumeBook.Recover(s, runtime.Name, tier, volume, server, free.Name, host, _random), ct).ConfigureAwait(false);
            if (state.Volumes.Any(v => v.Server == server && v.RecoveringFrom == free.Name))
            {
                await remote.AbandonAsync(free.Name, ct).ConfigureAwait(false);
            }

            return;
        }
    }

    /// <summary>Frees the volumes of a failed server for its replacement, once nothing of the server can write to them.</summary>
    public async Task HandOverAsync(DeploymentRuntime runtime, string server, CancellationToken ct)
    {
        // The main process is gone, but what it started may still write to the volume: fence the whole server first.
        // Should that fail, the volumes stay with it and its replacement waits for them.
        if (runtime.State.Volumes.Any(v => v.Server == server))
        {
            await provider.FenceAsync(server, ct).ConfigureAwait(false);
        }

        // Nothing of it runs: its replacement takes over its volumes, so the data survives.
        await runtime.MutateAsync(s => s.WithVolumesDetachedFrom(server, time.GetUtcNow()), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Detaches a terminated server's volumes. A replaced server's volumes wait for its replacement whatever their
    /// policy; otherwise (scale-in, removal, deletion: <see cref="TerminationCause.Removal"/>) the deletion policy
    /// decides. A termination without a recorded cause counts as a replacement: keeping data is the safe side.
    /// </summary>
    public async Task ReleaseAsync(DeploymentRuntime runtime, string server, TerminationCause? cause, CancellationToken ct)
    {
        var replaced = cause != TerminationCause.Removal;
        foreach (var volume in runtime.State.Volumes.Where(v => v.Server == server).ToList())
        {
            if (!replaced && volume.DeletionPolicy == DeletionPolicy.Snapshot && volume.Path is { } path)
            {
                var snapshot = await volumeBackups.TakeFinalSnapshotAsync(runtime, volume, path, ct).ConfigureAwait(false);
                await events.PublishAsync(runtime.Name, EventKinds.VolumeSnapshot, $"final snapshot {snapshot} of {volume.Name} taken before deleting it", $"volumes.{volume.Tier}.{volume.LogicalName}", cancellationToken: ct).ConfigureAwait(false);
            }

            if (!replaced && volume.DeletionPolicy is DeletionPolicy.Delete or DeletionPolicy.Snapshot)
            {
                await provider.DeleteVolumeAsync(volume.Name, ct).ConfigureAwait(false);
                await runtime.MutateAsync(s => s.WithoutVolume(volume.Name), ct).ConfigureAwait(false);
            }
            else
            {
                await runtime.MutateAsync(s => s.WithVolume(volume with { Server = null, ReleasedAt = time.GetUtcNow() }), ct).ConfigureAwait(false);
            }
        }
    }
}
