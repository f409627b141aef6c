using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.Backups;
using Strata.Backups.Services;
using Strata.Backups.Snapshots;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Backups;

/// <summary>Which backup of a tier to restore, and from where.</summary>
/// <param name="FromDeployment">The deployment that made the backup, when not the one restored into.</param>
public sealed record RestoreSelection(string Tier, string? SnapshotId, string? BackupId, bool FromDisasterRecovery = false, string? FromDeployment = null);

/// <summary>What a restore did: the backup, the store it came from, and the server that now runs on the restored data.</summary>
public sealed record RestoreOutcome(string Tier, string Kind, string Id, string Store, string Server, TimeSpan Duration);

/// <summary>
/// Restores a tier from a backup. A snapshot is restored (and every chunk checked) beside the volume first; only
/// then is the server on the volume stopped, the volume's content replaced, and the server replaced on purpose
/// (<see cref="ServerReplacement"/>: a <c>server.replaced</c> event, not <c>server.failed</c>) by one on the restored
/// volume. A service backup is downloaded, checked and handed to the image's <c>restore</c> hook on a server in service.
/// </summary>
public sealed partial class BackupRestorer(
    ICloudProvider provider,
    BackupStores stores,
    ServerHooks hooks,
    ServerReplacement replacement,
    StoreRetry retry,
    EventLog events,
    IOptions<ControlPlaneOptions> controlPlane,
    IOptions<BackupOptions> options,
    TimeProvider time,
    ILogger<BackupRestorer> logger)
{
    /// <summary>Restores a snapshot or a service backup of <paramref name="tier"/>.</summary>
    /// <exception cref="NotFoundException">The tier or the backup does not exist.</exception>
    /// <exception cref="BackupCorruptException">A chunk or the data is missing or damaged; nothing was changed.</exception>
    /// <exception cref="ArgumentException">The backup is of another tier, or of another deployment that the selection does not name.</exception>
    public async Task<RestoreOutcome> RestoreAsync(DeploymentRuntime runtime, RestoreSelection selection, CancellationToken ct)
    {
        var (tier, snapshotId, backupId, fromDisasterRecovery, fromDeployment) = selection;
        var owner = fromDeployment ?? runtime.Name;
        var tierSpec = runtime.Desired.Spec.FindTier(tier) ?? throw new NotFoundException($"deployment {runtime.Name} has no tier '{tier}'");
        if ((snapshotId is null) == (backupId is null))
        {
            throw new ArgumentException("name exactly one of a snapshot (--snapshot) or a service backup (--backup)");
        }

        var store = fromDisasterRecovery
            ? stores.DisasterRecovery(runtime) ?? throw new ArgumentException($"deployment {runtime.Name} has no disasterRecovery store to restore from")
            : stores.Primary(runtime);
        var storeName = fromDisasterRecovery ? "dr" : "primary";
        var what = snapshotId is not null ? $"snapshot {snapshotId}" : $"service backup {backupId}";
        using var holding = runtime.TierData.Enter(tier, $"a restore from {what}");
        var started = time.GetTimestamp();
        RestoreOutcome outcome;
        try
        {
            outcome = snapshotId is not null
                ? await RestoreSnapshotAsync(runtime, tierSpec, store, snapshotId, owner, ct).ConfigureAwait(false)
                : await RestoreServiceAsync(runtime, tierSpec, store, backupId!, owner, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is not (NotFoundException or ArgumentException or ConflictException))
        {
            // A request that names what does not exist is answered, not recorded, and one called off is not a failure;
            // a restore that failed on its way is part of the deployment's history.
            await PublishQuietlyAsync(runtime, EventKinds.BackupRestoreFailed, $"restore of tier {tier} from {what} ({storeName} store) failed: {ex.Message}", tier).ConfigureAwait(false);
            throw;
        }

        outcome = outcome with { Store = storeName, Duration = time.GetElapsedTime(started) };
        await events.PublishAsync(runtime.Name, EventKinds.BackupRestored, $"tier {tier} restored from {outcome.Kind} backup {outcome.Id} ({storeName} store) on {outcome.Server} in {outcome.Duration.TotalSeconds:0.#}s", $"tiers.{tier}", cancellationToken: ct).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>Records an event without letting a state store that cannot take it hide the failure being reported.</summary>
    private async Task PublishQuietlyAsync(DeploymentRuntime runtime, string kind, string message, string tier)
    {
        try
        {
            await events.PublishAsync(runtime.Name, kind, message, $"tiers.{tier}", EventSeverity.Error, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The caller rethrows the failure itself; what kept it out of the events goes to the log.
            LogEventLost(logger, ex, runtime.Name, kind);
        }
    }

    [LoggerMessage(EventId = 440, Level = LogLevel.Warning, Message = "A {Kind} event of {Deployment} could not be recorded")]
    private static partial void LogEventLost(ILogger logger, Exception exception, string deployment, string kind);

    private async Task<RestoreOutcome> RestoreSnapshotAsync(DeploymentRuntime runtime, TierSpec tier, Storage.IObjectStore store, string id, string owner, CancellationToken ct)
    {
        var engine = new SnapshotEngine(store, timeProvider: time);
        var manifest = await LoadAsync(runtime, engine, tier, id, ct).ConfigureAwait(false);
        CheckOwner(runtime, "snapshot", id, manifest.Deployment, owner);
        if (manifest.Tier != tier.Name || tier.Volumes.All(v => v.Name != manifest.Volume))
        {
            throw new ArgumentException($"snapshot {id} is of volume '{manifest.Volume}' of tier {manifest.Tier}, not of a volume of tier {tier.Name}");
        }

        var volume = runtime.State.Volumes.Where(v => v.Tier == tier.Name && v.LogicalName == manifest.Volume && v.Path is not null)
            .OrderBy(v => v.Server is null ? 1 : 0).FirstOrDefault()
            ?? throw new InvalidOperationException($"tier {tier.Name} has no '{manifest.Volume}' volume to restore into; run `strata up` first");
        // A volume on a host is restored here, into a folder of the control plane's, then copied there in its place.
        var host = await VolumeWhereabouts.HostOfAsync(provider, volume.Name, ct).ConfigureAwait(false);
        if (host is not null)
        {
            // Before the snapshot is downloaded, and again before the server is stopped (below).
            await VolumeWhereabouts.CheckWritableAsync(provider, volume.Name, host, ct).ConfigureAwait(false);
        }

        using var scratch = host is null ? null : new ScratchFolder(controlPlane.Value.Paths.Root);
        var staging = scratch is null ? VolumeContent.StagingFor(volume.Path!) : Path.Combine(scratch.Path, "volume");
        var key = BackupPolicies.EncryptionKey(runtime, BackupPolicies.SnapshotPolicy(runtime, tier.Name, manifest.Volume));
        await retry.ExecuteAsync(runtime.Name, $"restore of snapshot {id}", async token =>
        {
            await engine.RestoreAsync(manifest, staging, key, token).ConfigureAwait(false);
            return id;
        }, ct).ConfigureAwait(false);

        var server = await PutInPlaceAsync(runtime, tier, volume, host, staging, id, ct).ConfigureAwait(false);
        return new RestoreOutcome(tier.Name, "snapshot", id, "", server, TimeSpan.Zero);
    }

    /// <summary>
    /// Puts the snapshot restored in <paramref name="staging"/> in the volume's place (here, or on its
    /// <paramref name="host"/>), replacing the server on the volume, and returns the server in service on it then.
    /// </summary>
    private async Task<string> PutInPlaceAsync(
        DeploymentRuntime runtime, TierSpec tier, VolumeState volume, string? host, string staging, string id, CancellationToken ct)
    {
        // Nothing has changed so far; from here the server on the volume goes, so the data it sees is the snapshot's.
        Func<CancellationToken, Task> putInPlace = host is null
            ? _ => { VolumeContent.ReplaceContents(volume.Path!, staging); return Task.CompletedTask; }
            : token => VolumeWhereabouts.CopyThereAsync(provider, volume.Name, host, staging, token);
        var previous = volume.Server;
        if (host is not null)
        {
            // The server on the volume is not stopped for a restore that cannot reach the volume.
            await VolumeWhereabouts.CheckWritableAsync(provider, volume.Name, host, ct).ConfigureAwait(false);
        }

        if (previous is not null && runtime.State.FindServer(tier.Name, previous) is { } running)
        {
            await replacement.ReplaceAsync(runtime, running, $"replaced by restore of snapshot {id}", putInPlace, ct).ConfigureAwait(false);
        }
        else
        {
            await putInPlace(ct).ConfigureAwait(false);
        }

        return await WaitForServerAsync(runtime, volume.Name, previous, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A store may be shared by several deployments (and their backups carry the deployment's name), so a backup
    /// made by another deployment is restored only when the request names that deployment.
    /// </summary>
    private static void CheckOwner(DeploymentRuntime runtime, string kind, string id, string madeBy, string owner)
    {
        if (madeBy != owner)
        {
            throw new ArgumentException(owner == runtime.Name
                ? $"{kind} {id} was made by deployment {madeBy}, not {runtime.Name}; to restore another deployment's data, name it with --from-deployment {madeBy}"
                : $"{kind} {id} was made by deployment {madeBy}, not {owner} as --from-deployment says");
        }
    }

    private static async Task<SnapshotManifest> LoadAsync(DeploymentRuntime runtime, SnapshotEngine engine, TierSpec tier, string id, CancellationToken ct)
    {
        try
        {
            // The key of this tier's policy for the volume; which volume is known only once the manifest is found.
            var location = await engine.LocateAsync(id, ct).ConfigureAwait(false);
            var key = BackupPolicies.EncryptionKey(runtime, BackupPolicies.SnapshotPolicy(runtime, tier.Name, location.Volume));
            return await engine.GetManifestAsync(id, key, ct).ConfigureAwait(false);
        }
        catch (BackupNotFoundException ex)
        {
            throw new NotFoundException($"deployment {runtime.Name} has no snapshot '{id}' in that store: {ex.Message}");
        }
    }

    /// <summary>Waits until a server other than <paramref name="previous"/> is in service on the volume.</summary>
    private async Task<string> WaitForServerAsync(DeploymentRuntime runtime, string volume, string? previous, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.HealthTimeout);
        try
        {
            while (true)
            {
                var attached = runtime.State.Volumes.FirstOrDefault(v => v.Name == volume)?.Server;
                var server = attached is null || attached == previous ? null : runtime.State.Tiers.SelectMany(t => t.Servers).FirstOrDefault(s => s.Name == attached);
                if (server?.State == ServerStatus.InService)
                {
                    return server.Name;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), time, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"the volume was restored, but no server came into service on it within {options.Value.HealthTimeout}; see `strata events {runtime.Name}`");
        }
    }

    private async Task<RestoreOutcome> RestoreServiceAsync(DeploymentRuntime runtime, TierSpec tier, Storage.IObjectStore store, string id, string owner, CancellationToken ct)
    {
        if (ServerHooks.Find(runtime, tier, "restore") is null)
        {
            throw new ArgumentException($"the image of tier {tier.Name} has no 'restore' hook to restore a service backup with");
        }

        var backups = new ServiceBackupStore(store, time);
        using var scratch = new ScratchFolder(controlPlane.Value.Paths.Root);
        var file = Path.Combine(scratch.Path, "backup");
        var info = await retry.ExecuteAsync(runtime.Name, $"download of backup {id}", async token =>
        {
            try
            {
                // Checked before the data is downloaded: the key to use is that of the policy the backup belongs to.
                var found = await backups.GetAsync(id, token).ConfigureAwait(false);
                CheckOwner(runtime, "backup", id, found.Deployment, owner);
                var policy = tier.Backups.FirstOrDefault(b => b.Kind == BackupKind.Service && b.Name == found.Name);
                return await backups.DownloadAsync(id, file, BackupPolicies.EncryptionKey(runtime, policy), token).ConfigureAwait(false);
            }
            catch (BackupNotFoundException ex)
            {
                throw new NotFoundException($"deployment {runtime.Name} has no service backup '{id}' in that store: {ex.Message}");
            }
        }, ct).ConfigureAwait(false);
        if (info.Tier != tier.Name)
        {
            throw new ArgumentException($"backup {id} is of tier {info.Tier}, not {tier.Name}");
        }

        var server = await BackupPolicies.ServerAsync(provider, runtime, tier.Name, ct).ConfigureAwait(false);
        await hooks.RunAsync(runtime, tier, server, "restore", ServerHooks.BackupFile(file), null, ct).ConfigureAwait(false);
        return new RestoreOutcome(tier.Name, "service", id, "", server.Id, TimeSpan.Zero);
    }
}
