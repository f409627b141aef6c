using Microsoft.Extensions.DependencyInjection;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.Planning;
using Strata.Providers;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// Service backups through the real runner, its real <c>/bin/sh</c> hook in a server folder and a filesystem store:
/// a hook that fails or writes nothing is recorded and reported, and the earlier backup stays.
/// </summary>
public sealed class ServiceBackupFailureTests : IAsyncDisposable
{
    private const string Spec = """
        deployment: shop
        images:
          db:
            from: ./db
            run: sh run.sh
            hooks: { backup: sh backup.sh }
        tiers:
          db:
            image: db
            servers: 1
            backups:
              hourly:
                service: true
                every: 1h
        """;

    private readonly TemporaryDirectory _home = new("strata-bk");
    private readonly TemporaryDirectory _serverRoot = new("strata-bk-server");
    private readonly ServiceProvider _services;

    public ServiceBackupFailureTests()
    {
        var services = new ServiceCollection();
        services.AddStrataControlPlane(new ControlPlaneOptions { Paths = new StrataPaths(_home.Path) });
        services.AddSingleton<ICloudProvider>(new OneRunningServer(_serverRoot.Path));
        _services = services.BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _serverRoot.Dispose();
        _home.Dispose();
    }

    [Theory]
    [InlineData("echo 'pg_dump: connection refused' >&2; exit 3", "exited with code 3: pg_dump: connection refused")]
    [InlineData("true", "did not write")]
    [InlineData(": > \"$STRATA_BACKUP_FILE\"", "empty file")]
    public async Task RunPolicyAsync_HookFailsOrWritesNothing_KeepsEarlierBackupAndRecordsFailure(string failingHook, string expected)
    {
        var store = _services.GetRequiredService<IStateStore>();
        await store.InitializeAsync(CancellationToken.None).WithTimeout();
        var runtime = Runtime(store);
        var policy = BackupPolicies.Select(runtime, "db", "hourly").Single();
        var runner = _services.GetRequiredService<BackupRunner>();
        _serverRoot.WriteFile("backup.sh", "printf 'dump of %s' \"$STRATA_TIER\" > \"$STRATA_BACKUP_FILE\"\n");
        var earlier = await runner.RunPolicyAsync(runtime, policy, null, CancellationToken.None).WithTimeout();

        _serverRoot.WriteFile("backup.sh", failingHook + "\n");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => runner.RunPolicyAsync(runtime, policy, null, CancellationToken.None).WithTimeout());

        Assert.True(BackupRunner.IsBackupFailure(error), error.ToString());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        var listed = await _services.GetRequiredService<BackupListing>().ListAsync(runtime, CancellationToken.None).WithTimeout();
        Assert.Contains(listed, b => b.Id == earlier.Id);
        var record = Assert.Single(await _services.GetRequiredService<BackupCatalog>().ListAsync("shop", CancellationToken.None).WithTimeout());
        Assert.Equal(earlier.Id, record.LastBackupId);
        Assert.Contains(expected, record.LastError, StringComparison.Ordinal);
        Assert.NotNull(record.LastErrorAt);
        var events = await store.ReadEventsAsync("shop", 0, 100, CancellationToken.None).WithTimeout();
        var failed = Assert.Single(events, e => e.Kind == "backup.failed");
        Assert.Equal(EventSeverity.Error, failed.Severity);
        Assert.Contains("earlier backups are kept", failed.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_home.Path, "tmp")));
    }

    private static DeploymentRuntime Runtime(IStateStore store)
    {
        var desired = new DesiredDeployment
        {
            Spec = Specs.Load(Spec),
            SpecPath = "/srv/shop/strata.yaml",
            SpecText = Spec,
            Parameters = new Dictionary<string, string>(),
            ImageDigests = new Dictionary<string, string> { ["db"] = "sha256:test" },
        };
        var plan = Planner.Plan(desired.Spec, DeploymentState.Empty("shop"), new PlanOptions { ComputeImageDigest = _ => "sha256:test", Random = new Random(7) });
        var state = PlanApplication.Apply(DeploymentState.Empty("shop"), desired, plan, DateTimeOffset.UnixEpoch);
        state = state with
        {
            Tiers = [.. state.Tiers.Select(t => t with { Servers = [.. t.Servers.Select(s => s with { State = ServerStatus.InService, Address = "127.0.0.1" })] })],
        };
        return new DeploymentRuntime(store, DeploymentRegistry.NewRecord("shop"), desired, state);
    }

    /// <summary>A provider whose every server is running in one folder: launching real processes is not what these tests are about.</summary>
    private sealed class OneRunningServer(string root) : ICloudProvider
    {
        public string Name => "one-running-server";

        public ProviderCapabilities Capabilities => throw new NotSupportedException();

        public IReadOnlyList<string> Zones => ["local-a"];

        public Task<ServerInstance?> DescribeServerAsync(string serverId, CancellationToken ct) => Task.FromResult<ServerInstance?>(new ServerInstance
        {
            Id = serverId, Name = serverId, Deployment = "shop", Tier = "db", Zone = "local-a", Address = "127.0.0.1", ImageId = "sha256:test",
            State = Providers.ServerState.Running, LaunchedAt = DateTimeOffset.UnixEpoch, RootPath = root,
            LogPath = Path.Combine(root, "log"), ConfigPath = Path.Combine(root, "config.json"),
        });

        public Task<MachineImage> RegisterImageAsync(string sourceFolder, CancellationToken ct) => throw new NotSupportedException();

        public Task<ServerInstance> LaunchAsync(LaunchRequest request, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<ServerInstance>> ListServersAsync(string? deployment, CancellationToken ct) => throw new NotSupportedException();

        public Task TerminateAsync(string serverId, TimeSpan? grace, CancellationToken ct) => throw new NotSupportedException();

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
}
