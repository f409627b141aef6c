using Microsoft.Extensions.DependencyInjection;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// A tier short of capacity is reported when the shortage starts or changes and when it ends, not on every reconcile
/// pass: the passes here are the real observation and tier reconciliation, with a capacity that says what it is told.
/// </summary>
[Trait("kind", "unit")]
public sealed class TierCapacityGateTests
{
    [Fact]
    public async Task Passes_TierShortOfCapacityForANewServer_ReportedOncePerReasonAndOnceWhenItNeedsNoneAnyMore()
    {
        var capacity = new ToldCapacity { Shortage = "no capacity: no host is ready" };
        var provider = new ListedServers();
        await using var services = new ControlPlaneServices(new ManualTimeProvider(), add: s =>
        {
            s.AddSingleton<ICloudProvider>(provider);
            s.AddSingleton<ITierCapacity>(capacity);
        });
        var runtime = await services.RuntimeAsync(Specs.Web(servers: 2), OneInServiceOneMissing);
        provider.Running = [AppliedDeployments.RunningInstance(runtime.State.FindTier("web")!.Servers[0], DateTimeOffset.UnixEpoch, services.Paths.Root)];

        await PassesAsync(services, runtime, 3);
        capacity.Shortage = "no capacity: none of the 2 ready hosts matches the placement of tier 'web'";
        await PassesAsync(services, runtime, 3);
        await runtime.MutateAsync(s => s.WithTier(s.FindTier("web")! with { Count = new TierCount(1, 4, 1) }), CancellationToken.None).WithTimeout();
        await PassesAsync(services, runtime, 3);

        var events = await services.Get<Strata.ControlPlane.State.IStateStore>().ReadEventsAsync("shop", 0, 100, CancellationToken.None).WithTimeout();
        var reported = events.Where(e => e.Kind is EventKinds.TierNoCapacity or EventKinds.TierCapacityResolved).Select(e => (e.Kind, e.Message)).ToList();
        Assert.Equal(
        [
            (EventKinds.TierNoCapacity, "tier web: no capacity: no host is ready; its new server starts once it fits"),
            (EventKinds.TierNoCapacity, "tier web: no capacity: none of the 2 ready hosts matches the placement of tier 'web'; its new server starts once it fits"),
            (EventKinds.TierCapacityResolved, "tier web no longer waits for capacity: it is not starting new servers now"),
        ], reported);
    }

    [Fact]
    public async Task InPlace_HostsHaveRoomForTheTierButNotItsSurge_InPlaceFromFirstPassToLastAndReportedOnce()
    {
        var capacity = new ToldCapacity { Shortage = PortsTaken, Room = 2 };
        await using var services = new ControlPlaneServices(new ManualTimeProvider(), add: s => s.AddSingleton<ITierCapacity>(capacity));
        var runtime = await services.RuntimeAsync(Specs.Web(servers: 2));
        capacity.FreedBy = runtime.State.FindTier("web")!.Servers.Select(s => s.Name).ToHashSet();
        var gate = services.Get<TierCapacityGate>();
        var web = runtime.Desired.Spec.FindTier("web")!;

        var first = await gate.InPlaceAsync(runtime, web, Update("v2"), ["old1", "old2"], CancellationToken.None).WithTimeout();
        var midway = await gate.InPlaceAsync(runtime, web, Update("v2"), ["old2"], CancellationToken.None).WithTimeout();
        var done = await gate.InPlaceAsync(runtime, web, Update("v2"), [], CancellationToken.None).WithTimeout();
        var next = await gate.InPlaceAsync(runtime, web, Update("v3"), ["new1", "new2"], CancellationToken.None).WithTimeout();

        Assert.Equal((true, true, false, true), (first, midway, done, next));
        var events = await services.Get<Strata.ControlPlane.State.IStateStore>().ReadEventsAsync("shop", 0, 100, CancellationToken.None).WithTimeout();
        var reported = events.Where(e => e.Kind == EventKinds.TierUpdateInPlace).ToList();
        Assert.Equal(2, reported.Count);
        Assert.Equal(
            $"tier web: the hosts it may use have room for its 2 servers but not for 1 more beside them ({PortsTaken}); its servers are replaced in place (an update, or a rotation past maxAge): "
            + "each old server leaves the load balancer and stops before its replacement starts, so the tier runs one server short meanwhile",
            reported[0].Message);
    }

    [Fact]
    public async Task Passes_ServerPastMaxAgeOnHostsWithNoRoomForASurge_RotatedInPlaceInsteadOfWaitingForever()
    {
        var time = new ManualTimeProvider();
        var capacity = new ToldCapacity { Shortage = PortsTaken, Room = 1 };
        var provider = new ListedServers();
        await using var services = new ControlPlaneServices(time, add: s =>
        {
            s.AddSingleton<ICloudProvider>(provider);
            s.AddSingleton<ITierCapacity>(capacity);
        });
        var runtime = await services.RuntimeAsync(Specs.Web(servers: 1) + "\n    maxAge: 1h", state =>
        {
            var server = state.FindTier("web")!.Servers[0];
            return state.WithServer(server with { State = ServerStatus.InService, Address = "127.0.0.1", LaunchedAt = time.GetUtcNow().AddHours(-2) }, DateTimeOffset.UnixEpoch);
        });
        var old = runtime.State.FindTier("web")!.Servers[0];
        capacity.FreedBy = new HashSet<string> { old.Name };
        provider.Running = [AppliedDeployments.RunningInstance(old, DateTimeOffset.UnixEpoch, services.Paths.Root)];

        await PassesAsync(services, runtime, 1);

        var web = runtime.State.FindTier("web")!;
        Assert.Equal([(old.Name, ServerStatus.Terminating)], web.Servers.Select(s => (s.Name, s.State)));
        var events = await services.Get<Strata.ControlPlane.State.IStateStore>().ReadEventsAsync("shop", 0, 100, CancellationToken.None).WithTimeout();
        Assert.Contains(events, e => e.Kind == EventKinds.TierUpdateInPlace && e.Message.Contains("rotation past maxAge", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Kind == EventKinds.TierNoCapacity);
    }

    [Fact]
    public async Task InPlace_RoomForTheSurgeOnceTheTiersServersAreSetAside_NotInPlaceHoweverFarTheUpdateGot()
    {
        // Three hosts for two servers: the surge fits beside them, even when (midway) every host holds one.
        var capacity = new ToldCapacity { Shortage = PortsTaken, Room = 3 };
        await using var services = new ControlPlaneServices(new ManualTimeProvider(), add: s => s.AddSingleton<ITierCapacity>(capacity));
        var runtime = await services.RuntimeAsync(Specs.Web(servers: 2));
        capacity.FreedBy = runtime.State.FindTier("web")!.Servers.Select(s => s.Name).ToHashSet();

        var inPlace = await services.Get<TierCapacityGate>().InPlaceAsync(runtime, runtime.Desired.Spec.FindTier("web")!, Update("v2"), ["old1"], CancellationToken.None).WithTimeout();

        Assert.False(inPlace);
    }

    [Fact]
    public async Task InPlace_NoRoomEvenForTheTiersDesiredServers_NotInPlace()
    {
        var capacity = new ToldCapacity { Shortage = "no capacity: none of the 2 ready hosts matches the placement of tier 'web'", Room = 0 };
        await using var services = new ControlPlaneServices(new ManualTimeProvider(), add: s => s.AddSingleton<ITierCapacity>(capacity));
        var runtime = await services.RuntimeAsync(Specs.Web(servers: 2));
        capacity.FreedBy = runtime.State.FindTier("web")!.Servers.Select(s => s.Name).ToHashSet();

        var inPlace = await services.Get<TierCapacityGate>().InPlaceAsync(runtime, runtime.Desired.Spec.FindTier("web")!, Update("v2"), ["old1"], CancellationToken.None).WithTimeout();

        Assert.False(inPlace);
    }

    private static TierTarget Update(string image) => new(image, "launch", 2, new UpdatePolicySpec
    {
        MaxSurge = new CountOrPercent(1, IsPercent: false),
        MaxUnavailable = new CountOrPercent(0, IsPercent: false),
    });

    [Fact]
    public async Task Allow_NewServerFitsOnlyInThePlaceOfAServerStopping_WaitsForItWithoutReportingAShortage()
    {
        await using var services = new ControlPlaneServices(new ManualTimeProvider(), add: s => s.AddSingleton<ITierCapacity>(new ToldCapacity { Shortage = PortsTaken }));
        var runtime = await services.RuntimeAsync(Specs.Web(servers: 2), OneInServiceOneMissing);
        var stopping = runtime.State.FindTier("web")!.Servers[0] with { State = ServerStatus.Terminating };
        await runtime.SetServerAsync(stopping, DateTimeOffset.UnixEpoch, CancellationToken.None).WithTimeout();
        var capacity = (ToldCapacity)services.Get<ITierCapacity>();
        capacity.FreedBy = new HashSet<string> { stopping.Name };

        var allowed = await services.Get<TierCapacityGate>().AllowAsync(runtime, runtime.Desired.Spec.FindTier("web")!, 1, CancellationToken.None).WithTimeout();

        Assert.False(allowed);
        Assert.Equal($"waiting for {stopping.Name} to stop: the new server takes its place", runtime.Waiting["web"]);
        var events = await services.Get<Strata.ControlPlane.State.IStateStore>().ReadEventsAsync("shop", 0, 100, CancellationToken.None).WithTimeout();
        Assert.DoesNotContain(events, e => e.Kind == EventKinds.TierNoCapacity);
    }

    [Fact]
    public async Task Allow_RestoreLatestWithoutASnapshotOfItsVolumeOnALostHost_WaitsForTheHostAndSaysWhy_UntilASnapshotExists()
    {
        var fleet = new VolumeOnLostHost();
        await using var services = FleetServices(fleet);
        var (runtime, free) = await WithFreeVolumeAsync(services, fleet, lost: true);
        var gate = services.Get<TierCapacityGate>();
        var db = runtime.Desired.Spec.FindTier("db")!;

        var withoutSnapshot = await gate.AllowAsync(runtime, db, 1, CancellationToken.None).WithTimeout();
        var waitedAs = fleet.AskedWith;
        var folder = Directory.CreateDirectory(Path.Combine(services.Paths.Root, "copy")).FullName;
        File.WriteAllText(Path.Combine(folder, "rows"), "kept");
        await services.Get<Strata.ControlPlane.Backups.IVolumeBackups>().TakeFinalSnapshotAsync(runtime, free, folder, CancellationToken.None).WithTimeout();
        var withSnapshot = await gate.AllowAsync(runtime, db, 1, CancellationToken.None).WithTimeout();

        Assert.False(withoutSnapshot);
        Assert.Equal(VolumeRecovery.Wait, waitedAs);
        Assert.True(withSnapshot);
        Assert.Equal(VolumeRecovery.RestoreLatest, fleet.AskedWith);
        var events = await services.Get<Strata.ControlPlane.State.IStateStore>().ReadEventsAsync("data", 0, 100, CancellationToken.None).WithTimeout();
        var reported = Assert.Single(events, e => e.Kind == EventKinds.TierNoCapacity);
        Assert.Equal($"tier db: {VolumeOnLostHost.Waits(free.Name)}; volumeRecovery restoreLatest finds no snapshot of volume pg to restore it from "
            + "in the deployment's backup stores; its new server starts once it fits", reported.Message);
    }

    [Fact]
    public async Task Allow_RestoreLatestWithAFreeVolumeOnAHostNotLost_IsPlacedAsItSays()
    {
        var fleet = new VolumeOnLostHost();
        await using var services = FleetServices(fleet);
        var (runtime, _) = await WithFreeVolumeAsync(services, fleet, lost: false);

        var allowed = await services.Get<TierCapacityGate>().AllowAsync(runtime, runtime.Desired.Spec.FindTier("db")!, 1, CancellationToken.None).WithTimeout();

        Assert.True(allowed);
        Assert.Equal(VolumeRecovery.RestoreLatest, fleet.AskedWith);
    }

    private static ControlPlaneServices FleetServices(VolumeOnLostHost fleet) => new(new ManualTimeProvider(), add: s =>
    {
        s.AddSingleton<ICloudProvider>(fleet);
        s.AddSingleton<ITierCapacity>(fleet);
    });

    /// <summary>Deployment <c>data</c> whose volume <c>pg</c> of tier <c>db</c> no server holds, kept on host h1.</summary>
    private static async Task<(DeploymentRuntime Runtime, VolumeState Free)> WithFreeVolumeAsync(ControlPlaneServices services, VolumeOnLostHost fleet, bool lost)
    {
        var runtime = await services.RuntimeAsync(RestoresLatest);
        var free = new VolumeState { Name = "data-db-vol1", Tier = "db", LogicalName = "pg", DeletionPolicy = DeletionPolicy.Delete, Path = "/on/host/h1" };
        await runtime.MutateAsync(s => s with { Volumes = [.. s.Volumes, free] }, CancellationToken.None).WithTimeout();
        (fleet.VolumeId, fleet.Lost) = (free.Name, lost);
        return (runtime, free);
    }

    private const string RestoresLatest = """
        deployment: data
        images:
          app: { from: ./app, run: "sh run.sh" }
        tiers:
          db:
            image: app
            servers: 1
            volumeRecovery: restoreLatest
            volumes:
              pg: { size: 1MiB, mount: pgdata }
            backups:
              nightly: { snapshot: pg, cron: "0 3 * * *" }
        """;

    private const string PortsTaken = "no capacity: every host tier 'web' may use (h1, h2) has a server on port 8000 already";

    private static DeploymentState OneInServiceOneMissing(DeploymentState state)
    {
        var web = state.FindTier("web")!;
        return state.WithServer(web.Servers[0] with { State = ServerStatus.InService, Address = "127.0.0.1" }, DateTimeOffset.UnixEpoch)
            .WithoutServer(web.Servers[1].Name);
    }

    /// <summary>Reconcile passes as the loop runs them, without the images and load balancers this spec has none of.</summary>
    private static async Task PassesAsync(ControlPlaneServices services, DeploymentRuntime runtime, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await services.Get<ServerObservation>().ObserveAsync(runtime, CancellationToken.None).WithTimeout();
            await services.Get<TierReconciler>().ReconcileAsync(runtime, CancellationToken.None).WithTimeout();
        }
    }

    /// <summary>A capacity that reports the shortage it is told, or none once one of the servers it is told of leaves and the new servers are few enough.</summary>
    private sealed class ToldCapacity : ITierCapacity
    {
        public string? Shortage { get; set; }

        public IReadOnlySet<string> FreedBy { get; set; } = new HashSet<string>();

        /// <summary>How many new servers fit once the servers it is told of leave.</summary>
        public int Room { get; set; } = int.MaxValue;

        public Task<string?> ShortageAsync(string deployment, TierSpec tier, int count, IReadOnlySet<string> leaving, CancellationToken ct) =>
            Task.FromResult(leaving.Overlaps(FreedBy) && count <= Room ? null : Shortage);

        public Task<IReadOnlyList<PlannedHost>?> PreviewAsync(string deployment, TierSpec tier, int count, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<PlannedHost>?>(null);

        public string? WhyMoving(string serverId) => null;
    }

    /// <summary>
    /// A fleet with one volume kept on host h1, lost or not, as placement sees it: a tier that waits for a lost host is
    /// short of capacity, one that restores the volume from its newest snapshot is not. Its content is never copied.
    /// </summary>
    private sealed class VolumeOnLostHost : PartialProvider, ITierCapacity, IRemoteVolumes
    {
        public override string Name => "fleet";

        public string VolumeId { get; set; } = "";

        public bool Lost { get; set; }

        public VolumeRecovery? AskedWith { get; private set; }

        public static string Waits(string volume) =>
            $"no capacity: its volume {volume} is on host h1, which is lost: the server runs only where its data is, and waits for the host to be back";

        public Task<string?> ShortageAsync(string deployment, TierSpec tier, int count, IReadOnlySet<string> leaving, CancellationToken ct)
        {
            AskedWith = tier.VolumeRecovery;
            return Task.FromResult(Lost && tier.VolumeRecovery == VolumeRecovery.Wait ? Waits(VolumeId) : null);
        }

        public Task<IReadOnlyList<PlannedHost>?> PreviewAsync(string deployment, TierSpec tier, int count, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<PlannedHost>?>(null);

        public string? WhyMoving(string serverId) => null;

        // The snapshot in the test is taken of a folder here.
        public Task<string?> HostOfAsync(string volumeId, CancellationToken ct) => Task.FromResult<string?>(null);

        public Task<string?> LostHostOfAsync(string volumeId, CancellationToken ct) => Task.FromResult(Lost && volumeId == VolumeId ? "h1" : null);

        public Task CheckConnectedAsync(string volumeId, CancellationToken ct) => throw new NotSupportedException();

        public Task CopyOutAsync(string volumeId, string folder, Func<CancellationToken, Task>? taken, CancellationToken ct) => throw new NotSupportedException();

        public Task CopyInAsync(string volumeId, string folder, CancellationToken ct) => throw new NotSupportedException();

        public Task AbandonAsync(string volumeId, CancellationToken ct) => throw new NotSupportedException();
    }

    /// <summary>A provider that lists the servers it is told run.</summary>
    private sealed class ListedServers : PartialProvider
    {
        public IReadOnlyList<ServerInstance> Running { get; set; } = [];

        public override string Name => "listed";

        public override Task<IReadOnlyList<ServerInstance>> ListServersAsync(string? deployment, CancellationToken ct) => Task.FromResult(Running);
    }
}
