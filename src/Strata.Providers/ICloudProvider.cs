namespace Strata.Providers;

/// <summary>
/// A place where servers run: launches servers from images, lists, describes and terminates them, and manages the
/// volumes they attach. Every mutating call is idempotent on the id it is given, so a control plane that restarts
/// mid-operation can simply repeat it.
/// </summary>
public interface ICloudProvider
{
    /// <summary>The provider's name as the spec's <c>provider</c> field spells it, e.g. <c>local</c>.</summary>
    string Name { get; }

    /// <summary>What this provider supports; the planner rejects specs that need more.</summary>
    ProviderCapabilities Capabilities { get; }

    /// <summary>The zones servers can be placed in, in preference order.</summary>
    IReadOnlyList<string> Zones { get; }

    /// <summary>
    /// Bakes <paramref name="sourceFolder"/> into an immutable, content-addressed image. Registering the same content
    /// twice yields the same <see cref="MachineImage.Id"/>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist; the message names it.</exception>
    Task<MachineImage> RegisterImageAsync(string sourceFolder, CancellationToken ct);

    /// <summary>
    /// Launches a server, or returns the existing one when <see cref="LaunchRequest.ServerId"/> was launched before
    /// (never a second process). Failures of the server itself (missing image, port taken, configure hook failed,
    /// run command exited at once) are not thrown: the returned server is <see cref="ServerInstanceState.Failed"/> with a
    /// <see cref="ServerInstance.Message"/>. A launch interrupted by a restart of the control plane
    /// (<see cref="ServerInstanceState.Pending"/> or <see cref="ServerInstanceState.Configuring"/> with no launch in progress) is
    /// completed by calling this again with the same request.
    /// </summary>
    /// <exception cref="ArgumentException">The request is malformed (bad id, unknown zone, bad mount path).</exception>
    Task<ServerInstance> LaunchAsync(LaunchRequest request, CancellationToken ct);

    /// <summary>Lists servers, optionally of one deployment, with their observed state.</summary>
    Task<IReadOnlyList<ServerInstance>> ListServersAsync(string? deployment, CancellationToken ct);

    /// <summary>Describes one server with its observed state, or returns null if it does not exist.</summary>
    Task<ServerInstance?> DescribeServerAsync(string serverId, CancellationToken ct);

    /// <summary>
    /// Stops the server (polite signal, then forceful after <paramref name="grace"/>, or the provider's default when
    /// null) and deletes it; its volumes stay. Terminating an unknown server does nothing.
    /// </summary>
    Task TerminateAsync(string serverId, TimeSpan? grace, CancellationToken ct);

    /// <summary>
    /// Kills every process the server still has (its whole process tree, and anything using its files or volumes)
    /// and returns once all are gone, keeping the server's record and log for inspection. Called before a dead
    /// server's volumes go to another server, so that no two servers ever use one volume. <see cref="TerminateAsync"/>
    /// fences as well. Fencing an unknown server does nothing.
    /// </summary>
    /// <exception cref="ProviderException">A process could not be killed; the volumes must stay with the server.</exception>
    Task FenceAsync(string serverId, CancellationToken ct);

    /// <summary>Creates a volume, or returns the existing one with the same id.</summary>
    Task<VolumeInfo> CreateVolumeAsync(VolumeRequest request, CancellationToken ct);

    /// <summary>Lists volumes, optionally of one deployment.</summary>
    Task<IReadOnlyList<VolumeInfo>> ListVolumesAsync(string? deployment, CancellationToken ct);

    /// <summary>Deletes a volume and its data. Deleting an unknown volume does nothing.</summary>
    /// <exception cref="ProviderException">A running server still has the volume attached.</exception>
    Task DeleteVolumeAsync(string volumeId, CancellationToken ct);

    /// <summary>Takes a point-in-time snapshot of a volume, where <see cref="ProviderCapabilities.SupportsSnapshots"/>.</summary>
    /// <exception cref="NotSupportedException">The provider does not support snapshots.</exception>
    Task<VolumeSnapshot> SnapshotVolumeAsync(string volumeId, CancellationToken ct);

    /// <summary>Reads up to the last <paramref name="lines"/> lines of a server's log (empty if it has none).</summary>
    Task<IReadOnlyList<string>> ReadLogTailAsync(string serverId, int lines, CancellationToken ct);

    /// <summary>
    /// Yields the last <paramref name="tailLines"/> lines of a server's log and then each new line as it is written,
    /// across log rotations, until cancelled or the server is terminated.
    /// </summary>
    IAsyncEnumerable<string> FollowLogAsync(string serverId, int tailLines, CancellationToken ct);

    /// <summary>Rotates the logs that have grown past the provider's limit. The control plane calls this periodically.</summary>
    Task RotateLogsAsync(CancellationToken ct);

    /// <summary>
    /// Raised when the provider notices on its own that a server stopped (its process exited), so the caller can look
    /// at once instead of at its next periodic listing. A provider that cannot tell never raises it; callers must
    /// still list servers periodically, and must not assume every stop is reported.
    /// </summary>
    event Action<ServerStopped>? ServerStopped;
}

/// <summary>A server whose process stopped, whether asked to or not: <see cref="ICloudProvider.ServerStopped"/>.</summary>
public sealed record ServerStopped(string Deployment, string ServerId);

/// <summary>An operation the provider could not carry out for a reason outside the caller's request.</summary>
public sealed class ProviderException(string message, Exception? inner = null) : Exception(message, inner);
