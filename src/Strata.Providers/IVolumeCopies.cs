namespace Strata.Providers;

/// <summary>
/// A provider that may keep volumes on other machines than the control plane's (see <see cref="VolumeInfo.Host"/>).
/// Snapshots read and restores write a folder on the control plane's machine, so the content of such a volume is
/// copied here to be read, and back to be written.
/// </summary>
public interface IVolumeCopies
{
    /// <summary>Copies the content of a volume kept on a host into the empty folder <paramref name="folder"/> here.</summary>
    /// <exception cref="ProviderException">The volume's host is not connected, or the content could not be read; the message says why.</exception>
    Task CopyOutAsync(string volumeId, string folder, CancellationToken ct);

    /// <summary>
    /// Replaces the content of a volume kept on a host with that of <paramref name="folder"/> here. No running server
    /// may have the volume attached; a copy that fails leaves the volume as it was.
    /// </summary>
    /// <exception cref="ProviderException">The volume's host is not connected, or the content could not be put in place; the message says why.</exception>
    Task CopyInAsync(string volumeId, string folder, CancellationToken ct);
}
