using Strata.Providers;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// A provider whose every server is running in one folder: launching real processes is not what these tests are about.
/// Its volumes are folders the tests make on this machine, none of them on a host.
/// </summary>
internal sealed class OneRunningServer(string root) : PartialProvider
{
    public override string Name => "one-running-server";

    public override Task<ServerInstance?> DescribeServerAsync(string serverId, CancellationToken ct) => Task.FromResult<ServerInstance?>(new ServerInstance
    {
        Id = serverId, Name = serverId, Deployment = "shop", Tier = "db", Zone = "local-a", Address = "127.0.0.1", ImageId = "sha256:test",
        State = ServerInstanceState.Running, LaunchedAt = DateTimeOffset.UnixEpoch, RootPath = root,
        LogPath = Path.Combine(root, "log"), ConfigPath = Path.Combine(root, "config.json"),
    });

    public override Task<IReadOnlyList<VolumeInfo>> ListVolumesAsync(string? deployment, CancellationToken ct) => Task.FromResult<IReadOnlyList<VolumeInfo>>([]);
}
