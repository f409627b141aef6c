using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.ControlPlane.Deployments;
using Strata.Providers;
using Strata.Providers.Hosts.Fleet;

namespace Strata.ControlPlane.Hosts;

/// <summary>
/// Moves the volumes that no server holds off draining hosts: a volume retained by a scale-in, or one whose tier
/// starts no server now, would otherwise keep its host forever (<c>strata host remove</c> refuses a host with
/// volumes). Each goes to the host a server of its tier would be placed on now, so a server that attaches it later
/// starts there; one of a tier or deployment that is gone goes to the least used ready host. A volume a server holds
/// moves with that server (<see cref="HostDrains"/>). Runs when a host starts draining and every few seconds while one
/// does; nothing is read while none does.
/// </summary>
internal sealed partial class IdleVolumeMoves(
    FleetProvider provider, IHostInventory inventory, HostFleet fleet, DeploymentRegistry deployments, TimeProvider time, ILogger<IdleVolumeMoves> logger)
    : BackgroundService
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(5);
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
    /// Whether no server holds the volume, nor is any to take it (its tier lacks no server, or is gone): it moves by
    /// itself. A volume whose server stopped, with the server's replacement to come, moves with the replacement.
    /// </summary>
    public bool IsIdle(HostVolume volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var state = deployments.Find(volume.Deployment)?.State;
        return state?.Volumes.FirstOrDefault(v => v.Name == volume.VolumeId) is not { } recorded
            || (recorded.Server is null && (state.FindTier(volume.Tier) is not { } tier || tier.Lacking() == 0));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await MoveAllAsync(stoppingToken).ConfigureAwait(false);
                using var interval = new CancellationTokenSource(s_interval, time);
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, interval.Token);
                try
                {
                    await _wake.WaitAsync(tick.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // The interval passed.
                }
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
            return;
        }

        var volumes = (await inventory.ListVolumesAsync(ct).ConfigureAwait(false)).Where(v => v.Volume is not null && draining.Contains(v.Host)).ToList();
        foreach (var gone in _staying.Keys.Where(id => volumes.All(v => v.VolumeId != id)))
        {
            _staying.TryRemove(gone, out _);
        }

        foreach (var volume in volumes.Where(IsIdle))
        {
            var tier = deployments.Find(volume.Deployment)?.Desired.Spec.FindTier(volume.Tier);
            try
            {
                var (_, why) = await provider.MoveIdleVolumeAsync(volume, tier is null ? null : TierPlacement.RequestOf(volume.Deployment, tier), ct).ConfigureAwait(false);
                Record(volume.VolumeId, why);
            }
            catch (Exception ex) when (ex is ProviderException or IOException or InvalidOperationException)
            {
                LogMoveFailed(logger, ex, volume.VolumeId, volume.Host);
                Record(volume.VolumeId, $"its last move failed, tried again in a few seconds: {ex.Message}");
            }
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

    [LoggerMessage(EventId = 460, Level = LogLevel.Warning, Message = "Volume {Volume}, which no server holds, could not be moved off draining host {Host}")]
    private static partial void LogMoveFailed(ILogger logger, Exception exception, string volume, string host);
}
