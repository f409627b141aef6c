namespace Strata.Providers;

/// <summary>
/// Where the local provider keeps a server below its root folder: <c>servers/&lt;id&gt;/root</c> (where its commands
/// run, its volumes linked in at their mount paths) and <c>servers/&lt;id&gt;/config.json</c>. Public so that a control
/// plane launching through a host's agent resolves a server's settings against the very identity the agent's engine
/// will give it, without a round trip.
/// </summary>
public static class LocalServerLayout
{
    public static string ServersFolder(string rootPath) => Path.Combine(rootPath, "servers");

    public static string FolderOf(string rootPath, string serverId) => Path.Combine(ServersFolder(rootPath), serverId);

    /// <summary>The identity of a server launched by the engine rooted at <paramref name="rootPath"/>.</summary>
    public static ServerIdentity IdentityOf(string rootPath, LaunchRequest request, string zone, string address)
    {
        ArgumentNullException.ThrowIfNull(request);
        var folder = FolderOf(rootPath, request.ServerId);
        var root = Path.Combine(folder, "root");
        return new ServerIdentity(
            request.ServerId, request.Name ?? request.ServerId, request.Deployment, request.Tier, zone, address, root,
            Path.Combine(folder, "config.json"),
            request.Volumes.ToDictionary(v => v.VolumeId, v => Path.Combine(root, v.MountPath), StringComparer.Ordinal));
    }
}
