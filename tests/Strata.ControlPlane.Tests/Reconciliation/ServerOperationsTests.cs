using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// A termination decided while the server's launch is still under way runs after that launch, in its slot, with a
/// real server process of the local provider: the reconciler never sees a terminating server without an owner.
/// </summary>
[Trait("kind", "unit")]
public sealed class ServerOperationsTests : IAsyncDisposable
{
    private readonly LocalServers _local = new("strata-ops");

    private ControlPlaneServices Services => _local.Services;

    private ICloudProvider Provider => _local.Provider;

    public ValueTask DisposeAsync() => _local.DisposeAsync();

    [Fact]
    public async Task ReconcileAsync_ScaledInWhileTheLaunchRuns_TerminationWaitsForTheLaunchAndIsNeverUnowned()
    {
        var go = Path.Combine(_local.ImageFolder, "go");
        var image = await _local.RegisterImageAsync(
            ("configure.sh", $"while [ ! -f '{go}' ]; do sleep 0.05; done\n"),
            // Stopping takes two seconds: long enough to see who owns the server meanwhile.
            ("run.sh", "trap 'sleep 2; exit 0' TERM\nwhile :; do sleep 0.1; done\n"));
        var runtime = await Services.RuntimeAsync(Yaml, s => s with
        {
            Artifacts = new Dictionary<string, string> { [AppliedDeployments.ImageDigest] = image.Id },
            Images = [new ImageState { LogicalName = "app", Digest = AppliedDeployments.ImageDigest, ArtifactId = image.Id, BakedAt = DateTimeOffset.UnixEpoch }],
        });
        var reconciler = Services.Get<DeploymentReconciler>();
        var operations = Services.Get<ServerOperations>();
        var name = runtime.State.FindTier("web")!.Servers[0].Name;

        await reconciler.ReconcileAsync(runtime, CancellationToken.None).WithTimeout();
        await Eventually.WaitAsync(async () => (await Provider.DescribeServerAsync(name, CancellationToken.None))?.State == ServerInstanceState.Configuring, "the configure hook to run");
        await runtime.MutateAsync(s => s.WithTier(s.FindTier("web")! with { Count = new TierCount(0, 0, 0) }), CancellationToken.None);
        await reconciler.ReconcileAsync(runtime, CancellationToken.None).WithTimeout();
        Assert.Equal(ServerStatus.Terminating, runtime.State.FindTier("web")!.Servers.Single().State);
        File.WriteAllText(go, "");

        var unowned = new List<ServerStatus>();
        await Eventually.WaitAsync(
            () =>
            {
                var server = runtime.State.FindTier("web")!.Servers.SingleOrDefault();
                if (server is not null && !operations.IsBusy(name))
                {
                    unowned.Add(server.State);
                }

                // Its termination publishes the terminated event after removing it from the state, then frees the slot.
                return server is null && !operations.IsBusy(name);
            },
            "the server to be terminated and its slot freed");

        Assert.Empty(unowned);
        Assert.Empty(await Provider.ListServersAsync("shop", CancellationToken.None).WithTimeout());
        var terminated = await TerminatedEventsAsync(name);
        Assert.Equal(1, terminated);
    }

    private const string Yaml = """
        deployment: shop
        images:
          app: { from: ./app, run: "sh run.sh", hooks: { configure: sh configure.sh } }
        tiers:
          web: { image: app, servers: 1 }
        """;

    private async Task<int> TerminatedEventsAsync(string server)
    {
        var count = 0;
        await foreach (var e in Services.Get<EventLog>().ReadAsync("shop", 0, follow: false).WithCancellation(CancellationToken.None))
        {
            count += e.Server == server && e.ToState == ServerPhase.Terminated ? 1 : 0;
        }

        return count;
    }
}
