using Strata.Providers;

namespace Strata.ControlPlane.Tests;

/// <summary>
/// A provider for tests that exercise only part of one: every member a test does not override throws
/// <see cref="NotSupportedException"/>, so a test that reaches further than it meant to fails loudly. Its one zone is
/// <c>local-a</c>, and it never reports a stopped server.
/// </summary>
internal abstract class PartialProvider : ICloudProvider
{
    public abstract string Name { get; }

    public virtual ProviderCapabilities Capabilities => throw new NotSupportedException();

    public IReadOnlyList<string> Zones => ["local-a"];

    public virtual Task<ServerInstance?> DescribeServerAsync(string serverId, CancellationToken ct) => throw new NotSupportedException();

    public virtual Task<IReadOnlyList<ServerInstance>> ListServersAsync(string? deployment, CancellationToken ct) => throw new NotSupportedException();

    public Task<MachineImage> RegisterImageAsync(string sourceFolder, CancellationToken ct) => throw new NotSupportedException();

    public Task<ServerInstance> LaunchAsync(LaunchRequest request, CancellationToken ct) => throw new NotSupportedException();

    public Task TerminateAsync(string serverId, TimeSpan? grace, CancellationToken ct) => throw new NotSupportedException();

    public Task FenceAsync(string serverId, CancellationToken ct) => throw new NotSupportedException();

    public Task<VolumeInfo> CreateVolumeAsync(VolumeRequest request, CancellationToken ct) => throw new NotSupportedException();

    public virtual Task<IReadOnlyList<VolumeInfo>> ListVolumesAsync(string? deployment, CancellationToken ct) => throw new NotSupportedException();

    public Task DeleteVolumeAsync(string volumeId, CancellationToken ct) => throw new NotSupportedException();

    public Task<VolumeSnapshot> SnapshotVolumeAsync(string volumeId, CancellationToken ct) => throw new NotSupportedException();

    public Task<IReadOnlyList<string>> ReadLogTailAsync(string serverId, int lines, CancellationToken ct) => throw new NotSupportedException();

    public IAsyncEnumerable<string> FollowLogAsync(string serverId, int tailLines, CancellationToken ct) => throw new NotSupportedException();

    public Task RotateLogsAsync(CancellationToken ct) => Task.CompletedTask;

    public event Action<ServerStopped>? ServerStopped
    {
        add { }
        remove { }
    }
}
