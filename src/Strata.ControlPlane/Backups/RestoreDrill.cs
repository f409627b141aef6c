using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.Backups.Services;
using Strata.Backups.Snapshots;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Drills;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Backups;

/// <summary>The outcome of one restore drill.</summary>
public sealed record DrillOutcome(string Tier, string Policy, string Kind, string? BackupId, bool Passed, TimeSpan RestoreDuration, string Message, string ScratchServer);

/// <summary>
/// Proves a policy's latest backup restorable: restores it onto a scratch server of the tier, launched under a
/// deployment of its own (<c>&lt;deployment&gt;-drill</c>, so no load balancer or reconciler ever sees it) with
/// fresh volumes, waits for the tier's health check, runs the image's <c>verify</c> hook when it has one, records
/// the result and how long the restore took, and tears the scratch server and its volumes down whatever happened.
/// </summary>
public sealed partial class RestoreDrill(
    ICloudProvider provider,
    ImageCatalog images,
    BackupStores stores,
    BackupListing listing,
    ServerHooks hooks,
    ScratchHealth health,
    BackupCatalog catalog,
    EventLog events,
    IOptions<ControlPlaneOptions> controlPlane,
    TimeProvider time,
    ILogger<RestoreDrill> logger)
{
    public async Task<DrillOutcome> RunAsync(DeploymentRuntime runtime, TierPolicy policy, CancellationToken ct)
    {
        var serverId = ScratchName(runtime, policy);
        var latest = await listing.LatestAsync(runtime, policy, ct).ConfigureAwait(false);
        DrillOutcome outcome;
        if (latest is null)
        {
            outcome = new DrillOutcome(policy.Tier.Name, policy.Policy.Name, policy.Kind, null, false, TimeSpan.Zero, "there is no backup to verify", serverId);
        }
        else
        {
            outcome = await DrillAsync(runtime, policy, latest, serverId, ct).ConfigureAwait(false);
        }

        await RecordAsync(runtime, policy, outcome).ConfigureAwait(false);
        return outcome;
    }

    private async Task<DrillOutcome> DrillAsync(DeploymentRuntime runtime, TierPolicy policy, StoredBackup backup, string serverId, CancellationToken ct)
    {
        var volumes = new List<string>();
        try
        {
            var started = time.GetTimestamp();
            var instance = await LaunchAsync(runtime, policy, backup, serverId, volumes, ct).ConfigureAwait(false);
            await health.WaitAsync(runtime, policy.Tier, instance, ct).ConfigureAwait(false);
            if (policy.Policy.Kind == BackupKind.Service)
            {
                await RestoreServiceAsync(runtime, policy, backup, instance, ct).ConfigureAwait(false);
                await health.WaitAsync(runtime, policy.Tier, instance, ct).ConfigureAwait(false);
            }

            var duration = time.GetElapsedTime(started);
            if (ServerHooks.Find(runtime, policy.Tier, "verify") is not null)
            {
                await hooks.RunAsync(runtime, policy.Tier, instance, "verify", null, null, ct).ConfigureAwait(false);
            }

            return new DrillOutcome(policy.Tier.Name, policy.Policy.Name, policy.Kind, backup.Id, true, duration, $"backup {backup.Id} restored and healthy in {duration.TotalSeconds:0.#}s", serverId);
        }
        catch (Exception ex) when (BackupRunner.IsBackupFailure(ex) || ex is ArgumentException)
        {
            LogDrillFailed(logger, ex, runtime.Name, policy.Tier.Name, backup.Id);
            return new DrillOutcome(policy.Tier.Name, policy.Policy.Name, policy.Kind, backup.Id, false, TimeSpan.Zero, ex.Message, serverId);
        }
        finally
        {
            await TearDownAsync(serverId, volumes).ConfigureAwait(false);
        }
    }

    private async Task<ServerInstance> LaunchAsync(DeploymentRuntime runtime, TierPolicy policy, StoredBackup backup, string serverId, List<string> volumes, CancellationToken ct)
    {
        var tier = policy.Tier;
        var attachments = new List<VolumeAttachment>();
        foreach (var volume in tier.Volumes)
        {
            var volumeId = $"{serverId}-{volume.Name}";
            var info = await provider.CreateVolumeAsync(new VolumeRequest { VolumeId = volumeId, Name = volume.Name, Deployment = DrillDeployment(runtime), SizeMiB = volume.SizeBytes / (1024 * 1024) }, ct).ConfigureAwait(false);
            volumes.Add(volumeId);
            attachments.Add(new VolumeAttachment(volumeId, volume.Mount));
            if (policy.Policy.Kind == BackupKind.Snapshot && volume.Name == backup.Volume)
            {
                var staging = VolumeContent.StagingFor(info.Path);
                var key = BackupPolicies.EncryptionKey(runtime, policy.Policy);
                await new SnapshotEngine(stores.Primary(runtime), timeProvider: time).RestoreAsync(backup.Id, staging, key, ct).ConfigureAwait(false);
                VolumeContent.ReplaceContents(info.Path, staging);
            }
        }

        var request = new LaunchRequest
        {
            ServerId = serverId,
            Deployment = DrillDeployment(runtime),
            Tier = tier.Name,
            Zone = provider.Zones[0],
            Image = await images.GetAsync(runtime, tier.Image, ct).ConfigureAwait(false),
            Volumes = attachments,
            Ports = [.. tier.Ports.Select(p => p.Port)],
            Settings = identity => LaunchSettingsBuilder.Build(runtime.Desired, runtime.State, tier, identity),
        };
        var instance = await provider.LaunchAsync(request, ct).ConfigureAwait(false);
        return instance.State == ServerInstanceState.Running
            ? instance
            : throw new InvalidOperationException($"the scratch server {serverId} did not start: {instance.Message ?? instance.State.ToString()}");
    }

    private async Task RestoreServiceAsync(DeploymentRuntime runtime, TierPolicy policy, StoredBackup backup, ServerInstance instance, CancellationToken ct)
    {
        using var scratch = new ScratchFolder(controlPlane.Value.Paths.Root);
        var file = Path.Combine(scratch.Path, "backup");
        await new ServiceBackupStore(stores.Primary(runtime), time).DownloadAsync(backup.Id, file, BackupPolicies.EncryptionKey(runtime, policy.Policy), ct).ConfigureAwait(false);
        await hooks.RunAsync(runtime, policy.Tier, instance, "restore", ServerHooks.BackupFile(file), null, ct).ConfigureAwait(false);
    }

    /// <summary>Stops the scratch server and deletes its volumes; a drill never leaves anything behind, even when cancelled.</summary>
    private async Task TearDownAsync(string serverId, List<string> volumes)
    {
        await provider.TerminateAsync(serverId, null, CancellationToken.None).ConfigureAwait(false);
        foreach (var volume in volumes)
        {
            await provider.DeleteVolumeAsync(volume, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task RecordAsync(DeploymentRuntime runtime, TierPolicy policy, DrillOutcome outcome)
    {
        var now = time.GetUtcNow();
        await catalog.UpdateAsync(runtime.Name, policy.Tier.Name, policy.Policy.Name, policy.Kind, r => outcome.Passed
            ? r with { LastDrillAt = now, LastDrillPassed = true, LastDrillMessage = outcome.Message, LastVerifiedAt = now, LastVerifiedBackupId = outcome.BackupId, LastRestoreDuration = outcome.RestoreDuration }
            : r with { LastDrillAt = now, LastDrillPassed = false, LastDrillMessage = outcome.Message }, CancellationToken.None).ConfigureAwait(false);
        await events.PublishAsync(
            runtime.Name, outcome.Passed ? EventKinds.BackupDrillPassed : EventKinds.BackupDrillFailed,
            $"restore drill of {policy.Tier.Name}/{policy.Policy.Name}: {outcome.Message}", BackupRunner.Resource(policy),
            outcome.Passed ? EventSeverity.Info : EventSeverity.Error, CancellationToken.None).ConfigureAwait(false);
    }

    private static string DrillDeployment(DeploymentRuntime runtime) => ScratchNames.Truncate(runtime.Name, 40) + "-drill";

    private string ScratchName(DeploymentRuntime runtime, TierPolicy policy) =>
        $"{ScratchNames.Truncate(runtime.Name, 20)}-{ScratchNames.Truncate(policy.Tier.Name, 15)}-drill-{Convert.ToHexStringLower(BitConverter.GetBytes(time.GetTimestamp()))[..6]}";


    [LoggerMessage(EventId = 420, Level = LogLevel.Warning, Message = "Restore drill of {Deployment}/{Tier} with backup {BackupId} failed")]
    private static partial void LogDrillFailed(ILogger logger, Exception exception, string deployment, string tier, string? backupId);
}
