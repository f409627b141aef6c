using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

[Trait("kind", "unit")]
public sealed class LaunchGateTests : IAsyncDisposable
{
    // No dependsOn: the reference alone is the dependency.
    private const string TwoTiers = """
        deployment: chain
        images:
          app: { from: ./app, run: "python3 app.py ${self.address}" }
        tiers:
          db:
            image: app
            servers: 2
            volumes:
              data: { size: 1MiB, mount: data }
          web:
            image: app
            servers: 2
            env: { DB_HOST: "${tiers.db.servers[0].address}" }
        """;

    private readonly ControlPlaneServices _services = new();

    [Fact]
    public async Task WaitingFor_ReferenceWithoutDependsOn_WaitsUntilEveryReferencedServerIsInService()
    {
        var runtime = await RuntimeAsync(state => WithDbStates(state, ServerStatus.Pending, ServerStatus.Pending));
        var web = runtime.Desired.Spec.FindTier("web")!;

        var none = LaunchGate.WaitingFor(runtime.Desired.Spec, runtime.State, web);
        var one = LaunchGate.WaitingFor(runtime.Desired.Spec, WithDbStates(runtime.State, ServerStatus.InService, ServerStatus.Booting), web);
        var both = LaunchGate.WaitingFor(runtime.Desired.Spec, WithDbStates(runtime.State, ServerStatus.InService, ServerStatus.InService), web);

        Assert.Equal("db", none);
        Assert.Equal("db", one);
        Assert.Null(both);
        Assert.False(LaunchGate.MayStart(runtime, runtime.State.FindTier("web")!.Servers[0], DateTimeOffset.UnixEpoch));
    }

    [Theory]
    [InlineData(ServerStatus.Terminating, TerminationCause.Replacement, true)]
    [InlineData(ServerStatus.Failed, null, true)]
    [InlineData(ServerStatus.Terminating, TerminationCause.Removal, false)]
    [InlineData(ServerStatus.InService, null, false)]
    public async Task HeldForReplacement_VolumeOfDepartingServer_HoldsNewServerBack(ServerStatus holderState, TerminationCause? cause, bool held)
    {
        var runtime = await RuntimeAsync(state => WithDbStates(state, holderState, ServerStatus.Pending));
        var db = runtime.State.FindTier("db")!.Servers;
        var state = runtime.State with { Volumes = [Volume("chain-db-data-a", db[0].Name)] };
        state = state.WithServer(db[0] with { Termination = cause }, DateTimeOffset.UnixEpoch);

        var holder = VolumeBook.HeldForReplacement(state, runtime.Desired.Spec.FindTier("db")!, db[1].Name);

        Assert.Equal(held ? db[0].Name : null, holder);
    }

    [Fact]
    public async Task MayStart_TierBackingOff_WaitsUntilBackoffEnds()
    {
        var runtime = await RuntimeAsync(state => WithDbStates(state, ServerStatus.Pending, ServerStatus.Pending));
        var server = runtime.State.FindTier("db")!.Servers[1];
        var until = DateTimeOffset.UnixEpoch.AddSeconds(4);
        runtime.AddLaunchFailure("db", _ => new LaunchFailures(1, until, "configure hook exited with code 1"));

        Assert.False(LaunchGate.MayStart(runtime, server, until.AddSeconds(-1)));
        Assert.True(LaunchGate.MayStart(runtime, server, until));
    }

    [Fact]
    public async Task AddLaunchFailure_ManyThreadsAtOnce_NoFailureLost()
    {
        var runtime = await RuntimeAsync(state => state);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                runtime.AddLaunchFailure("web", previous => new LaunchFailures((previous?.Count ?? 0) + 1, DateTimeOffset.UnixEpoch, "failed"));
                runtime.SetWaiting($"tier-{i % 7}", $"waiting {i}");
                _ = runtime.Failures.Count + runtime.Waiting.Count;
            }
        }))).WithTimeout();

        Assert.Equal(16000, runtime.Failures["web"].Count);
        Assert.Equal(7, runtime.Waiting.Count);
    }

    [Fact]
    public async Task SetPinned_SameReasonAgain_ReportedOnceAndAgainOnlyAfterItEndedOrChanged()
    {
        var runtime = await RuntimeAsync(state => state);

        Assert.Equal(
            [true, false, true, false, true],
            [runtime.SetPinned("db", "a"), runtime.SetPinned("db", "a"), runtime.SetPinned("db", "b"), runtime.SetPinned("db", null), runtime.SetPinned("db", "b")]);
        Assert.Equal("b", runtime.Pinned["db"]);
        Assert.Empty(runtime.Waiting);
    }

    [Fact]
    public async Task MarkFailedAsync_ManyLaunchesFailingAtOnce_EveryFailureCounted()
    {
        var runtime = await RuntimeAsync(state => state);
        var lifecycle = _services.Get<ServerLifecycle>();
        var web = runtime.State.FindTier("web")!.Servers.Concat(runtime.State.FindTier("db")!.Servers.Select(s => s with { Tier = "web" })).ToList();

        await Task.WhenAll(web.Select(s => Task.Run(() => lifecycle.MarkFailedAsync(runtime, s, "run command exited immediately", CancellationToken.None)))).WithTimeout();

        Assert.Equal(web.Count, runtime.Failures["web"].Count);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private Task<DeploymentRuntime> RuntimeAsync(Func<DeploymentState, DeploymentState> adjust) => _services.RuntimeAsync(TwoTiers, adjust);

    private static DeploymentState WithDbStates(DeploymentState state, ServerStatus first, ServerStatus second)
    {
        var db = state.FindTier("db")!;
        var servers = db.Servers.Select((s, i) => s with { State = i == 0 ? first : second, Address = $"127.0.0.{i + 2}" }).ToList();
        return state.WithTier(db with { Servers = servers });
    }

    private static VolumeState Volume(string name, string server) =>
        new() { Name = name, Tier = "db", LogicalName = "data", Server = server, DeletionPolicy = DeletionPolicy.Delete };
}
