using Microsoft.Extensions.DependencyInjection;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// A reconcile pass that fails in a way nobody foresaw is reported and retried; it never stops the control plane. Found
/// with three hosts registered on one machine, whose agents shared one folder and each listed every server: the
/// duplicate ids threw from a dictionary, the exception escaped the loop and the control plane stopped.
/// </summary>
[Trait("kind", "unit")]
public sealed class FailingPassTests
{
    [Fact]
    public void ById_ServerListedTwice_OneEntryAndTheRunningOneCounts()
    {
        var stopped = Instance("shop-web-a", ServerInstanceState.Stopped);
        var running = Instance("shop-web-a", ServerInstanceState.Running);

        var observed = ServerObservation.ById([stopped, running, Instance("shop-web-b", ServerInstanceState.Running)]);

        Assert.Equal(["shop-web-a", "shop-web-b"], observed.Keys.Order());
        Assert.Same(running, observed["shop-web-a"]);
    }

    [Fact]
    public async Task Pass_ProviderThrowsWhatNoOneExpected_ReportedAsAnEventAndTheLoopKeepsRunning()
    {
        var provider = new UnforeseenFailure();
        await using var harness = new ControlPlaneServices(add: s => s.AddSingleton<ICloudProvider>(provider));
        var store = await harness.InitializedStoreAsync();
        var runtime = AppliedDeployments.Runtime(store, Specs.Web(servers: 1), state => state.WithServer(
            state.FindTier("web")!.Servers[0] with { State = ServerStatus.InService, Address = "127.0.0.1" }, DateTimeOffset.UnixEpoch));
        harness.Get<DeploymentRegistry>().GetOrAdd("shop", () => runtime);
        var loop = harness.Get<ReconcileLoop>();

        await loop.StartAsync(CancellationToken.None).WithTimeout();
        try
        {
            loop.Enqueue("shop");
            await Eventually.WaitAsync(() => provider.Listings >= 1, "a pass to list the servers");
            loop.Enqueue("shop");
            await Eventually.WaitAsync(() => provider.Listings >= 2, "a second pass after the failed one");

            Assert.False(loop.ExecuteTask!.IsCompleted, loop.ExecuteTask.Exception?.ToString());
            var events = await store.ReadEventsAsync("shop", 0, 100, CancellationToken.None).WithTimeout();
            Assert.Contains(events, e => e.Kind == EventKinds.DeploymentError && e.Severity == EventSeverity.Error && e.Message.Contains(UnforeseenFailure.Message, StringComparison.Ordinal));
        }
        finally
        {
            await loop.StopAsync(CancellationToken.None).WithTimeout();
        }
    }

    private static ServerInstance Instance(string id, ServerInstanceState state) => new()
    {
        Id = id, Name = id, Deployment = "shop", Tier = "web", Zone = "local-a", Address = "127.0.0.1", ImageId = "sha256:test",
        State = state, LaunchedAt = DateTimeOffset.UnixEpoch, RootPath = "/nonexistent", LogPath = "/nonexistent/log", ConfigPath = "/nonexistent/config.json",
    };

    /// <summary>A provider whose listing fails with an exception no caller catches by type; nothing else is used.</summary>
    private sealed class UnforeseenFailure : PartialProvider
    {
        public const string Message = "an index that no one checked";

        private int _listings;

        public int Listings => Volatile.Read(ref _listings);

        public override string Name => "unforeseen";

        public override Task<IReadOnlyList<ServerInstance>> ListServersAsync(string? deployment, CancellationToken ct)
        {
            Interlocked.Increment(ref _listings);
            throw new ArgumentException(Message);
        }

        public override Task<ServerInstance?> DescribeServerAsync(string serverId, CancellationToken ct) => Task.FromResult<ServerInstance?>(null);
    }
}
