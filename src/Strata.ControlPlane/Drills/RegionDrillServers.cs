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

        // From here on, the tier's own commands (a command check, the verify hook) see the scratch copy, peers included.
        run.Started(tier, instances);
        await Task.WhenAll(instances.Select(i => health.WaitAsync(run.Runtime, run.References, tier, i, ct))).ConfigureAwait(false);
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
                await hooks.RunAsync(run.Runtime, run.References, tier, instance, "verify", null, null, ct).ConfigureAwait(false);
            }

            await run.Progress($"tier {tier.Name}: verify hook passed").ConfigureAwait(false);
        }
    }

    private async Task<ServerInstance> LaunchAsync(
        RegionDrillRun run, TierSpec tier, int count, DeploymentState references, IReadOnlyDictionary<(string Tier, string Volume), RecoveredSnapshot?> sources, CancellationToken ct)
    {
        var id = run.Scratch.NameFor(tier.Name);
        run.Scratch.Server(id);
        var attachments = new List<VolumeAttachment>();
        for (var i = 0; i < tier.Volumes.Count; i++)
        {
            var volume = tier.Volumes[i];
            attachments.Add(await VolumeAsync(run, tier, volume, $"{id}-v{i}", id, sources.GetValueOrDefault((tier.Name, volume.Name)), ct).ConfigureAwait(false));
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
                $"tier {tier.Name} cannot come back outside region {run.Region} with {count} server{(count == 1 ? "" : "s")} (its minimum, at least one): {Shortage(instance.Message) ?? $"its scratch server {id} is {instance.State}"}");
    }

    /// <summary>
    /// A shortage of ports, said with what it means here: the copy cannot share a port of a host with the servers that
    /// run there, the deployment's own included, though in a real loss those outside the region would serve on.
    /// </summary>
    private static string? Shortage(string? message) =>
        message is not null && message.Contains(" on port ", StringComparison.Ordinal)
            ? $"{message} (the copy needs each tier's ports free on the hosts outside the region, beside the servers already there)"
            : message;

    /// <summary>A new volume for the scratch server, filled from <paramref name="source"/> in the disaster-recovery store when given.</summary>
    private async Task<VolumeAttachment> VolumeAsync(
        RegionDrillRun run, TierSpec tier, VolumeSpec volume, string id, string server, RecoveredSnapshot? source, CancellationToken ct)
    {
        run.Scratch.Volume(id);
        var info = await provider.CreateVolumeAsync(
            new VolumeRequest { VolumeId = id, Name = volume.Name, Deployment = run.Scratch.Deployment, SizeMiB = volume.SizeBytes / (1024 * 1024) }, ct).ConfigureAwait(false);
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
}
