namespace Strata.Providers;

/// <summary>
/// A provider that may keep volumes on other machines than the control plane's (see <see cref="VolumeInfo.Host"/>).
/// Snapshots read and restores write a folder on the control plane's machine, so the content of such a volume is
/// copied here to be read, and back to be written; and a machine that keeps one may be lost, with its data.
/// </summary>
public interface IRemoteVolumes
{
    /// <summary>The host that keeps the volume, or null when it is on the control plane's machine (or unknown).</summary>
    Task<string?> HostOfAsync(string volumeId, CancellationToken ct);

    /// <summary>
    /// Copies the content of a volume kept on a host into the empty folder <paramref name="folder"/> here.
    /// <paramref name="taken"/>, when given, is called once the content has been read on the host (into an archive
    /// there), before it is transferred: the application using the volume may go on from then.
    /// </summary>
    /// <exception cref="ProviderException">The volume's host is not connected, or the content could not be read; the message says why.</exception>
    Task CopyOutAsync(string volumeId, string folder, Func<CancellationToken, Task>? taken, CancellationToken ct);

    /// <summary>
    /// Replaces the content of a volume kept on a host with that of <paramref name="folder"/> here. No running server
    /// may have the volume attached; a copy that fails leaves the volume as it was.
    /// </summary>
    /// <exception cref="ProviderException">The volume's host is not connected, or the content could not be put in place; the message says why.</exception>
    Task CopyInAsync(string volumeId, string folder, CancellationToken ct);

    /// <summary>Succeeds when the host that keeps the volume is connected, so its content can be read or written now.</summary>
    /// <exception cref="ProviderException">The volume's host is not connected; the message says why.</exception>
    Task CheckConnectedAsync(string volumeId, CancellationToken ct);

    /// <summary>The host that keeps the volume when that host is lost (or was removed from the fleet), else null.</summary>
    Task<string?> LostHostOfAsync(string volumeId, CancellationToken ct);

    /// <summary>
    /// Gives up a volume kept on a lost host: it is forgotten, so that no server waits for it or is placed where it
    /// was. Its folder stays on that host, should the host ever come back.
    /// </summary>
    Task AbandonAsync(string volumeId, CancellationToken ct);
}
