using Strata.Common.Text;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Hosts;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Drills;

/// <summary>
/// A region drill's scratch servers: launched on hosts outside the region with the tier's placement otherwise kept,
/// their volumes filled from the disaster-recovery store first, and waited for until healthy.
/// </summary>
public sealed class RegionDrillServers(
    ICloudProvider provider, ImageCatalog images, IVolumeBackups volumeBackups, IServerReach reach, ScratchHealth health, ServerHooks hooks, TimeProvider time)
{
    /// <summary>Starts <paramref name="count"/> servers of the tier at once and waits for all of them to be healthy.</summary>
    internal async Task StartTierAsync(
        RegionDrillRun run, TierSpec tier, int count, IReadOnlyDictionary<(string Tier, string Volume), RecoveredSnapshot?> sources, CancellationToken ct)
    {
        await run.Progress($"tier {tier.Name}: starting {count} server{(count == 1 ? "" : "s")} outside region {run.Region}").ConfigureAwait(false);
        var started = time.GetTimestamp();
        var references = run.References;
        var instances = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => LaunchAsync(run, tier, count, references, sources, ct))).ConfigureAwait(false);
        await Task.WhenAll(instances.Select(i => health.WaitAsync(run.Runtime, tier, i, ct))).ConfigureAwait(false);
        var healthyAfter = time.GetElapsedTime(started);
        foreach (var instance in instances)
        {
            var host = reach.HostOf(instance.Id);
            var region = run.Hosts.FirstOrDefault(h => h.Registration.Name == host)?.Registration.Region;
            run.Servers.Add(new RegionDrillServer(tier.Name, instance.Id, host, instance.Zone, region, instance.Address, healthyAfter));
            await run.Progress($"tier {tier.Name}: {instance.Id} healthy after {healthyAfter.TotalSeconds:0.0}s on host {host ?? "?"} "
                + $"(zone {instance.Zone}, region {region ?? "none"}) at {instance.Address}{VolumesText(run, instance.Id)}").ConfigureAwait(false);
        }

        if (ServerHooks.Find(run.Runtime, tier, "verify") is not null)
        {
            // The image's own proof that the data it came back with is usable, as a restore drill runs it.
            foreach (var instance in instances)
            {
                await hooks.RunAsync(run.Runtime, tier, instance, "verify", null, ct).ConfigureAwait(false);
            }

            await run.Progress($"tier {tier.Name}: verify hook passed").ConfigureAwait(false);
        }

        run.Started(tier, instances);
    }

    private async Task<ServerInstance> LaunchAsync(
        RegionDrillRun run, TierSpec tier, int count, DeploymentState references, IReadOnlyDictionary<(string Tier, string Volume), RecoveredSnapshot?> sources, CancellationToken ct)
    {
        var id = run.Scratch.NameFor(tier.Name);
        run.Scratch.Server(id);
        var attachments = new List<VolumeAttachment>();
        foreach (var volume in tier.Volumes)
        {
            attachments.Add(await VolumeAsync(run, tier, volume, id, sources.GetValueOrDefault((tier.Name, volume.Name)), ct).ConfigureAwait(false));
        }

        var desired = run.Runtime.Desired;
        var request = new LaunchRequest
        {
            ServerId = id,
            Deployment = run.Scratch.Deployment,
            Tier = tier.Name,
            Image = await images.GetAsync(run.Runtime, desired, tier.Image, ct).ConfigureAwait(false),
            Volumes = attachments,
            Ports = [.. tier.Ports.Select(p => p.Port)],
            Placement = TierPlacement.RulesOf(tier) with { OutsideRegions = [run.Region] },
            Resources = TierPlacement.ResourcesOf(tier),
            Settings = identity => LaunchSettingsBuilder.Build(desired, references, tier, identity),
        };
        var instance = await provider.LaunchAsync(request, ct).ConfigureAwait(false);
        return instance.State == ServerInstanceState.Running
            ? instance
            : throw new RegionDrillFailedException(
                $"tier {tier.Name} cannot come back outside region {run.Region} with {count} server{(count == 1 ? "" : "s")} (its minimum): {instance.Message ?? $"its scratch server {id} is {instance.State}"}");
    }

    /// <summary>A new volume for the scratch server, filled from <paramref name="source"/> in the disaster-recovery store when given.</summary>
    private async Task<VolumeAttachment> VolumeAsync(RegionDrillRun run, TierSpec tier, VolumeSpec volume, string server, RecoveredSnapshot? source, CancellationToken ct)
    {
        var id = $"{server}-{RegionDrillScratch.Truncate(volume.Name, 12)}";
        var info = await provider.CreateVolumeAsync(
            new VolumeRequest { VolumeId = id, Name = volume.Name, Deployment = run.Scratch.Deployment, SizeMiB = volume.SizeBytes / (1024 * 1024) }, ct).ConfigureAwait(false);
        run.Scratch.Volume(id);
        if (source is not null)
        {
            var record = new VolumeState { Name = id, Tier = tier.Name, LogicalName = volume.Name, DeletionPolicy = DeletionPolicy.Delete };
            await volumeBackups.RestoreAsync(run.Runtime, record, info.Path, RestoreSource.DisasterRecoveryPrefix + source.Id, ct).ConfigureAwait(false);
        }

        run.Volume(new RegionDrillVolume(tier.Name, volume.Name, server, source?.Id, source?.Created));
        return new VolumeAttachment(id, volume.Mount);
    }

    private string VolumesText(RegionDrillRun run, string server)
    {
        var now = time.GetUtcNow();
        return string.Concat(run.Volumes.Where(v => v.Server == server).Select(v => v.Snapshot is null
            ? $", volume {v.Volume} empty (no snapshot policy)"
            : $", volume {v.Volume} from snapshot {v.Snapshot} (dr store, taken {v.TakenAt:yyyy-MM-dd HH:mm:ss}Z, {Ages.Of(now - v.TakenAt!.Value)} ago)"));
    }

    /// <summary>
    /// Removes the servers and volumes of the deployments <paramref name="isLeftover"/> picks, wherever they are (an
    /// interrupted drill's: the control plane stopped during it). Returns how many were removed.
    /// </summary>
    internal async Task<int> SweepAsync(Func<string, bool> isLeftover, CancellationToken ct)
    {
        var removed = 0;
        foreach (var server in (await provider.ListServersAsync(null, ct).ConfigureAwait(false)).Where(s => isLeftover(s.Deployment)))
        {
            await provider.TerminateAsync(server.Id, null, ct).ConfigureAwait(false);
            removed++;
        }

        foreach (var volume in (await provider.ListVolumesAsync(null, ct).ConfigureAwait(false)).Where(v => isLeftover(v.Deployment)))
        {
            await provider.DeleteVolumeAsync(volume.Id, ct).ConfigureAwait(false);
            removed++;
        }

        return removed;
    }
}
