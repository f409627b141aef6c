namespace Strata.Providers;

/// <summary>
/// Where an image's archive (a deterministic tar, named by its SHA-256) is kept in an object store:
/// <c>images/sha256/&lt;hex&gt;.tar</c>. The control plane's store and a host agent's store use the same keys, so an image
/// is sent to a host once and found there by its id.
/// </summary>
public static class ImageArchives
{
    public static string KeyOf(string digest) => $"images/sha256/{digest}.tar";

    public static string KeyOf(MachineImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return KeyOf(image.Digest);
    }
}
