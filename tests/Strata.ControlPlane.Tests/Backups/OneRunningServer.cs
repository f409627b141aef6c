using Strata.Providers;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>A provider whose every server is running in one folder: launching real processes is not what these tests are about.</summary>
internal sealed class OneRunningServer(string root) : PartialProvider
{
    public override string Name => "one-running-server";

    public override Task<ServerInstance?> DescribeServerAsync(string serverId, CancellationToken ct) => Task.FromResult<ServerInstance?>(new ServerInstance
    {
        Id = serverId, Name = serverId, Deployment = "shop", Tier = "db", Zone = "local-a", Address = "127.0.0.1", ImageId = "sha256:test",
        State = ServerInstanceState.Running, LaunchedAt = DateTimeOffset.UnixEpoch, RootPath = root,
        LogPath = Path.Combine(root, "log"), ConfigPath = Path.Combine(root, "config.json"),
    });
}
