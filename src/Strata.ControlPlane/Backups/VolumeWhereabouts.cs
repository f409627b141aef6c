using Strata.Providers;

namespace Strata.ControlPlane.Backups;

/// <summary>
/// Snapshots read and restores write a volume's folder on the control plane's machine; a volume kept on a host is
/// not there, and its path names a folder of the host. Such a volume is refused with the reason, never read or
/// written at a path of another machine.
/// </summary>
internal static class VolumeWhereabouts
{
    /// <summary>What the deletion policy <c>snapshot</c> takes before a volume is deleted.</summary>
    public const string FinalSnapshot = "the final snapshot";

    /// <exception cref="InvalidOperationException">The volume is on a host.</exception>
    public static async Task EnsureHereAsync(ICloudProvider provider, string deployment, string volumeId, string what, CancellationToken ct)
    {
        if ((await provider.ListVolumesAsync(deployment, ct).ConfigureAwait(false)).FirstOrDefault(v => v.Id == volumeId)?.Host is { } host)
        {
            throw new InvalidOperationException($"{what} of volume {volumeId} is not possible: the volume is on host {host}, and snapshots of volumes on hosts are not built yet"
                + (what == FinalSnapshot ? "; to remove it, set its deletionPolicy to retain or delete and apply" : ""));
        }
    }
}
