using System.Collections.Immutable;
using Strata.Api.Contracts.Events;
using Strata.Providers;
using Strata.Providers.Hosts.Agent;
using Strata.Providers.Hosts.Placement;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Volumes that no server holds, moved off a draining host by themselves (see <see cref="IdleVolumeMoves"/>). A move
/// holds the volume's lock throughout, so a deletion, an abandonment or a copy in or out of it waits for the move and
/// then finds it where it went; and it is chosen under the placement lock, marked as moving, so that no launch takes
/// the volume meanwhile (the capacity gate has its tier wait) and no move takes a volume a launch holds.
/// </summary>
internal sealed partial class FleetProvider
{
    /// <summary>
    /// Moves a volume that no server holds, nor is being launched with, off its draining host: to the host a server of
    /// its tier would be placed on now (<paramref name="tier"/>; null for a volume of no tier any more: the least used
    /// ready host), so that a server that attaches it later can start there. Returns the host it went to, or null with
    /// why it stays for now (null too when something else has it now: a launch, a backup, a deletion).
    /// </summary>
    public async Task<(string? Host, string? Why)> MoveIdleVolumeAsync(HostVolume volume, PlacementRequest? tier, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var (from, to, locked, why) = await ChooseIdleMoveAsync(volume, tier, ct).ConfigureAwait(false);
        if (from is null || to is null || locked is null)
        {
            return (null, why);
        }

        try
        {
            var (bytes, took) = await CopyBetweenHostsAsync(volume, from, to, ct).ConfigureAwait(false);
            await events.PublishAsync(volume.Deployment, EventKinds.VolumeMoved,
                $"volume {volume.VolumeId}, which no server holds, moved from draining host {volume.Host} to host {to.Host}: {ServerResources.FormatBytes(bytes)} copied in {took.TotalSeconds:0.0}s",
                $"volumes.{volume.Tier}", cancellationToken: CancellationToken.None).ConfigureAwait(false);
            await DeleteMovedAsync(volume, from, ct).ConfigureAwait(false);
            return (to.Host, null);
        }
        finally
        {
            ImmutableInterlocked.TryRemove(ref _movingVolumes, volume.VolumeId, out _);
            locked.Dispose();
        }
    }

    /// <summary>
    /// Under the placement lock: the agents to move the idle volume between, with the volume's lock (dispose it once
    /// the move ends) and the volume marked as moving; or, with nothing taken, why it stays (null when something else
    /// has it now).
    /// </summary>
    private async Task<(HostAgent? From, HostAgent? To, IDisposable? Locked, string? Why)> ChooseIdleMoveAsync(HostVolume volume, PlacementRequest? tier, CancellationToken ct)
    {
        await _placing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await RefreshAsync(ct).ConfigureAwait(false);
            var hosts = await inventory.ListAsync(ct).ConfigureAwait(false);
            var volumes = await inventory.ListVolumesAsync(ct).ConfigureAwait(false);
            if (volumes.FirstOrDefault(v => v.VolumeId == volume.VolumeId) is not { Volume: not null } current || current.Host != volume.Host || InUse(volume.VolumeId))
            {
                // Moved, deleted, or taken by a server being launched (it moves with that server) meanwhile.
                return (null, null, null, null);
            }

            if (!IsMovable(volume) || fleet.AgentOf(volume.Host) is not { } from)
            {
                return (null, null, null, $"host {volume.Host} is not draining with its agent connected");
            }

            var request = tier ?? new PlacementRequest(volume.Deployment, volume.Tier, [], new PlacementRules());
            if (HostPlacement.Choose(Candidates(hosts), [.. Placed(), .. Parked(volume, volumes, request)], request, out var shortage) is not { } host
                || fleet.AgentOf(host) is not { } to)
            {
                return (null, null, null, $"{shortage ?? "no capacity: no other host is ready"} (it goes where a server of its tier could start)");
            }

            if (_volumeLocks.TryAcquire(volume.VolumeId) is not { } locked)
            {
                // A backup, restore or deletion of it runs: tried again later.
                return (null, null, null, null);
            }

            ImmutableInterlocked.TryAdd(ref _movingVolumes, volume.VolumeId, host);
            return (from, to, locked, null);
        }
        finally
        {
            _placing.Release();
        }
    }

    /// <summary>
    /// The other volumes of the same tier and name that no server holds, each counted where it is as a server of the
    /// tier to come: two such volumes moved to one host would give the tier's next two servers one host's ports.
    /// </summary>
    private IEnumerable<PlacedServer> Parked(HostVolume volume, IReadOnlyList<HostVolume> volumes, PlacementRequest request) =>
        volumes.Where(v => v.VolumeId != volume.VolumeId && v.Deployment == volume.Deployment && v.Tier == volume.Tier && v.Volume?.Name == volume.Volume?.Name && !InUse(v.VolumeId))
            .Select(v => new PlacedServer($"volume {v.VolumeId}", _movingVolumes.GetValueOrDefault(v.VolumeId) ?? v.Host, v.Deployment, v.Tier, request.Ports, request.Resources));
}
