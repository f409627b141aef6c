using Strata.Providers;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>A provider whose every server is running in one folder: launching real processes is not what these tests are about.</summary>
internal sealed class OneRunningServer(string root) : ICloudProvider
{
    public string Name => "one-running-server";

    public ProviderCapabilities Capabilities => throw new NotSupportedException();

    public IReadOnlyList<string> Zones => ["local-a"];

    public Task<ServerInstance?> DescribeServerAsync(string serverId, CancellationToken ct) => Task.FromResult<ServerInstance?>(new ServerInstance
    {
        Id = serverId, Name = serverId, Deployment = "shop", Tier = "db", Zone = "local-a", Address = "127.0.0.1", ImageId = "sha256:test",
        State = ServerInstanceState.Running, LaunchedAt = DateTimeOffset.UnixEpoch, RootPath = root,
        LogPath = Path.Combine(root, "log"), ConfigPath = Path.Combine(root, "config.json"),
    });

    public Task<MachineImage> RegisterImageAsync(string sourceFolder, CancellationToken ct) => throw new NotSupportedException();

    public Task<ServerInstance> LaunchAsync(LaunchRequest request, CancellationToken ct) => throw new NotSupportedException();

    public Task<IReadOnlyList<ServerInstance>> ListServersAsync(string? deployment, CancellationToken ct) => throw new NotSupportedException();

    public Task TerminateAsync(string serverId, TimeSpan? grace, CancellationToken ct) => throw new NotSupportedException();

    public Task FenceAsync(string serverId, CancellationToken ct) => throw new NotSupportedException();

    public Task<VolumeInfo> CreateVolumeAsync(VolumeRequest request, CancellationToken ct) => throw new NotSupportedException();

    public Task<IReadOnlyList<VolumeInfo>> ListVolumesAsync(string? deployment, CancellationToken ct) => throw new NotSupportedException();

    public Task DeleteVolumeAsync(string volumeId, CancellationToken ct) => throw new NotSupportedException();

    public Task<VolumeSnapshot> SnapshotVolumeAsync(string volumeId, CancellationToken ct) => throw new NotSupportedException();

    public Task<IReadOnlyList<string>> ReadLogTailAsync(string serverId, int lines, CancellationToken ct) => throw new NotSupportedException();

    public IAsyncEnumerable<string> FollowLogAsync(string serverId, int tailLines, CancellationToken ct) => throw new NotSupportedException();

    public Task RotateLogsAsync(CancellationToken ct) => throw new NotSupportedException();

    public event Action<ServerStopped>? ServerStopped
    {
        add { }
        remove { }
    }
}
