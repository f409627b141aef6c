using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.Providers;
using Strata.Providers.Hosts.Agent;
using Strata.Providers.Hosts.Fleet;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// A launched server's volumes taken to its host: off the control plane's machine, where a volume is created, or off
/// a draining host, through a staging copy here. Each copy is recorded on its new host before the old one is deleted.
/// </summary>
internal sealed partial class FleetProvider
{
    /// <summary>
    /// Moves the request's volumes that are still on the control plane's machine to the host the server was placed on.
    /// Each step can be repeated: the volume is created there and filled, then recorded as there, and only then
    /// deleted here. Until it is recorded the copy here is the volume: a move that fails (the host's disk, a link tar
    /// cannot carry) pins nothing, and a crash midway leaves at most an unused copy on that host.
    /// </summary>
    private async Task MoveVolumesAsync(LaunchRequest request, HostAgent agent, List<HostVolume> onHosts, CancellationToken ct)
    {
        var local = await embedded.ListVolumesAsync(request.Deployment, ct).ConfigureAwait(false);
        foreach (var attachment in request.Volumes)
        {
            var staged = local.FirstOrDefault(v => v.Id == attachment.VolumeId);
            var placed = onHosts.FirstOrDefault(v => v.VolumeId == attachment.VolumeId && v.Volume is not null);
            if (placed is not null && placed.Host != agent.Host)
            {
                await MoveOffOtherHostAsync(request, placed, agent, staged, ct).ConfigureAwait(false);
                continue;
            }

            if (placed is not null)
            {
                if (staged is not null)
                {
                    // Moved before a crash that came before its copy here was deleted.
                    await DeleteStagedAsync(staged.Id, ct).ConfigureAwait(false);
                }

                continue;
            }

            if (staged is null)
            {
                throw new ProviderException($"volume {attachment.VolumeId} of server {request.ServerId} exists neither on a host nor on the control plane's machine");
            }

            await SendStagedAsync(request, staged, agent, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A volume recorded on another host than the server's, under its lock: moved, unless it is there by now.</summary>
    private async Task MoveOffOtherHostAsync(LaunchRequest request, HostVolume placed, HostAgent agent, VolumeInfo? staged, CancellationToken ct)
    {
        using (await _volumeLocks.AcquireAsync(placed.VolumeId, ct).ConfigureAwait(false))
        {
            // As it is now: what held the lock before (a deletion, an abandonment) may have changed it.
            if (await FindVolumeAsync(placed.VolumeId, ct).ConfigureAwait(false) is not { Volume: not null } current)
            {
                throw new ProviderException($"volume {placed.VolumeId} of server {request.ServerId} is no longer recorded on any host");
            }

            if (current.Host != agent.Host)
            {
                await MoveBetweenHostsAsync(request, current, agent, staged, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A volume still on the control plane's machine: created and filled on the host, recorded there, then deleted here.</summary>
    private async Task SendStagedAsync(LaunchRequest request, VolumeInfo staged, HostAgent agent, CancellationToken ct)
    {
        var created = await agent.CreateVolumeAsync(new VolumeRequest { VolumeId = staged.Id, Name = staged.Name, Deployment = staged.Deployment, SizeMiB = staged.SizeMiB }, ct).ConfigureAwait(false);
        if (!VolumeContent.IsEmpty(staged.Path))
        {
            await agent.FillVolumeAsync(staged.Id, staged.Path, ct).ConfigureAwait(false);
        }

        await inventory.RecordVolumeAsync(new HostVolume(staged.Id, agent.Host, staged.Deployment, request.Tier, created), ct).ConfigureAwait(false);
        await DeleteStagedAsync(staged.Id, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves a volume off its draining host to the one its new server was placed on, through the control plane's
    /// machine: copied from the old host into a staging copy here, then sent and recorded as on the new host, and only
    /// then deleted on the old one. Until it is recorded the old host's copy is the volume, whole: a copy that fails
    /// (the new host's disk, the link) leaves it where it was, and the launch fails with why.
    /// </summary>
    private async Task MoveBetweenHostsAsync(LaunchRequest request, HostVolume placed, HostAgent to, VolumeInfo? staged, CancellationToken ct)
    {
        if (!IsMovable(placed) || fleet.AgentOf(placed.Host) is not { } from)
        {
            throw new ProviderException($"volume {placed.VolumeId} is on host {placed.Host}, which is not draining with its agent connected: a volume leaves its host only when the host drains");
        }

        if (_listings.Hosts.TryGetValue(placed.Host, out var listed) && listed.Servers.Values.Any(s => Holds(s, placed.VolumeId)))
        {
            throw new ProviderException($"volume {placed.VolumeId} is still held by a server on host {placed.Host}: it moves once that server has stopped");
        }

        if (staged is not null)
        {
            // Left here by a move to a host before a crash: the copy on the draining host is the volume.
            await DeleteStagedAsync(staged.Id, ct).ConfigureAwait(false);
        }

        var (bytes, took) = await CopyBetweenHostsAsync(placed, from, to, ct).ConfigureAwait(false);
        await events.PublishAsync(request.Deployment, EventKinds.VolumeMoved,
            $"volume {placed.VolumeId} moved from draining host {placed.Host} to host {to.Host} for {request.ServerId}: {ServerResources.FormatBytes(bytes)} copied in {took.TotalSeconds:0.0}s",
            EventSubject.OfServer(request.Tier, request.ServerId), cancellationToken: CancellationToken.None).ConfigureAwait(false);
        await DeleteMovedAsync(placed, from, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies a volume off its draining host onto <paramref name="to"/> through a staging copy here, and records it
    /// there; returns the bytes sent and how long it took. Until it is recorded the old host's copy is the volume.
    /// </summary>
    private async Task<(long Bytes, TimeSpan Took)> CopyBetweenHostsAsync(HostVolume placed, HostAgent from, HostAgent to, CancellationToken ct)
    {
        var volume = placed.Volume!;
        var started = time.GetTimestamp();
        using var staging = new Backups.ScratchFolder(home);
        await from.ReadVolumeAsync(volume.Id, staging.Path, null, ct).ConfigureAwait(false);
        var bytes = VolumeContent.ArchiveBytes(staging.Path);
        var created = await to.CreateVolumeAsync(new VolumeRequest { VolumeId = volume.Id, Name = volume.Name, Deployment = volume.Deployment, SizeMiB = volume.SizeMiB }, ct).ConfigureAwait(false);
        // Always filled, even when empty: a copy left on that host by an earlier move must not come back.
        await to.FillVolumeAsync(volume.Id, staging.Path, ct).ConfigureAwait(false);
        await inventory.RecordVolumeAsync(placed with { Host = to.Host, Volume = created }, ct).ConfigureAwait(false);
        return (bytes, time.GetElapsedTime(started));
    }

    /// <summary>Deletes the old copy of a moved volume on its draining host.</summary>
    private static async Task DeleteMovedAsync(HostVolume placed, HostAgent from, CancellationToken ct)
    {
        try
        {
            await from.DeleteVolumeAsync(placed.VolumeId, ct).ConfigureAwait(false);
        }
        catch (ProviderException)
        {
            // The volume is on the new host now; the draining host keeps an unused copy, which goes with the host.
        }
    }

    /// <summary>
    /// Deletes the copy left here of a volume now on a host. A failed server's record here may still name it, which
    /// refuses the delete: the move stands, and the next launch that attaches the volume tries again.
    /// </summary>
    private async Task DeleteStagedAsync(string volumeId, CancellationToken ct)
    {
        try
        {
            await embedded.DeleteVolumeAsync(volumeId, ct).ConfigureAwait(false);
        }
        catch (ProviderException)
        {
        }
    }
}
