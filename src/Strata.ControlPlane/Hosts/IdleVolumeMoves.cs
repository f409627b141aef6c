using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.ControlPlane.Deployments;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Moves the volumes that no server holds off draining hosts: a volume retained by a scale-in, or one whose tier
/// starts no server now, would otherwise keep its host forever (<c>strata host remove</c> refuses a host with
/// volumes). Each goes to the host a server of its tier would be placed on now, so a server that attaches it later
/// starts there; one of a tier that is gone goes to the least used ready host, and one its deployment has no record of
/// stays. A volume a server holds
/// moves with that server (<see cref="HostDrains"/>). Runs when a host starts draining and every few seconds while one
/// does; nothing is read while none does.
/// </summary>
internal sealed partial class IdleVolumeMoves(
    FleetProvider provider, IHostInventory inventory, HostFleet fleet, DeploymentRegistry deployments, TimeProvider time, ILogger<IdleVolumeMoves> logger)
    : BackgroundService
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_retryAfterFailure = TimeSpan.FromMinutes(1);

    // When a volume whose move failed is tried again, by volume id.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _retryAt = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, 1);

    // Why a volume stays on its draining host for now, by volume id: shown by the drain's progress.
    private readonly ConcurrentDictionary<string, string> _staying = new(StringComparer.Ordinal);

    /// <summary>Has the volumes looked at now: a host started draining.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken.
        }
    }

    /// <summary>Why the volume, which no server holds, has not moved off its draining host yet; null while it is moving or about to.</summary>
    public string? WhyStays(string volumeId) => _staying.GetValueOrDefault(volumeId);

    /// <summary>
    /// Whether no server holds the volume, nor is any to take it: its tier lacks no server, and each of its servers
    /// (failed and starting ones included) has a volume of that name of its own, or the tier is gone. A volume whose
    /// server stopped or failed, with a replacement to come, moves with the replacement. One of a deployment this
    /// control plane does not know stays (see <see cref="WhyStays"/>).
    /// </summary>
    public bool IsIdle(HostVolume volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        if (deployments.Find(volume.Deployment)?.State is not { } state || state.Volumes.FirstOrDefault(v => v.Name == volume.VolumeId) is not { } recorded)
        {
            return false;
        }

        return recorded.Server is null
            && (state.FindTier(volume.Tier) is not { } tier
                || (tier.Lacking() == 0 && tier.Servers.All(s => state.Volumes.Any(v => v.Server == s.Name && v.LogicalName == recorded.LogicalName))));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Until the deployments are loaded every volume would look like one of no deployment.
            await deployments.WhenLoaded.WaitAsync(stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await MoveAllAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // The inventory could not be read (a busy database): the next round tries again.
                    LogRoundFailed(logger, ex);
                }

                // The interval wakes the loop as a drain does: a cancelled wait would throw, every 5 s, for ever.
                using var interval = time.CreateTimer(static state => ((IdleVolumeMoves)state!).Wake(), this, s_interval, Timeout.InfiniteTimeSpan);
                await _wake.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Moves each idle volume on a draining host, one at a time; one that cannot move now is tried again later.</summary>
    internal async Task MoveAllAsync(CancellationToken ct)
    {
        var draining = fleet.List().Where(h => h.State == HostState.Draining).Select(h => h.Name).ToHashSet(StringComparer.Ordinal);
        if (draining.Count == 0)
        {
            _staying.Clear();
            _retryAt.Clear();
            return;
        }

        var volumes = (await inventory.ListVolumesAsync(ct).ConfigureAwait(false)).Where(v => v.Volume is not null && draining.Contains(v.Host)).ToList();
        foreach (var gone in _staying.Keys.Where(id => volumes.All(v => v.VolumeId != id)))
        {
            _staying.TryRemove(gone, out _);
        }

        foreach (var volume in volumes)
        {
            if (deployments.IsUnloaded(volume.Deployment))
            {
                Record(volume.VolumeId, $"deployment {volume.Deployment}'s applied spec could not be reloaded (its events say why): "
                    + "its volumes stay where they are until it is applied again");
                continue;
            }

            if (!deployments.RecordsVolume(volume.Deployment, volume.VolumeId))
            {
                Record(volume.VolumeId, $"deployment {volume.Deployment} has no record of it (it was retained when the deployment was deleted), "
                    + $"so no server will take it: `strata host remove {volume.Host} --force` forgets it with the host");
                continue;
            }

            if (deployments.Find(volume.Deployment) is not { } runtime || !IsIdle(volume)
                || (_retryAt.TryGetValue(volume.VolumeId, out var retry) && time.GetUtcNow() < retry))
            {
                continue;
            }

            await MoveAsync(volume, runtime.Desired.Spec.FindTier(volume.Tier), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Moves one idle volume to where a server of its tier would be placed now; a failed move is tried again later.</summary>
    private async Task MoveAsync(HostVolume volume, TierSpec? tier, CancellationToken ct)
    {
        try
        {
            var (_, why) = await provider.MoveIdleVolumeAsync(volume, tier is null ? null : TierPlacement.RequestOf(volume.Deployment, tier), ct).ConfigureAwait(false);
            Record(volume.VolumeId, why);
            _retryAt.TryRemove(volume.VolumeId, out _);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Not every few seconds: a host whose disk is full would be sent the whole volume again and again.
            LogMoveFailed(logger, ex, volume.VolumeId, volume.Host);
            _retryAt[volume.VolumeId] = time.GetUtcNow() + s_retryAfterFailure;
            Record(volume.VolumeId, $"its last move failed, tried again in {s_retryAfterFailure.TotalMinutes:0} minute: {ex.Message}");
        }
    }

    private void Record(string volumeId, string? why)
    {
        if (why is null)
        {
            _staying.TryRemove(volumeId, out _);
        }
        else
        {
            _staying[volumeId] = why;
        }
    }

    [LoggerMessage(EventId = 461, Level = LogLevel.Warning, Message = "Looking for volumes to move off draining hosts failed; tried again in a few seconds")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 460, Level = LogLevel.Warning, Message = "Volume {Volume}, which no server holds, could not be moved off draining host {Host}")]
    private static partial void LogMoveFailed(ILogger logger, Exception exception, string volume, string host);
}
