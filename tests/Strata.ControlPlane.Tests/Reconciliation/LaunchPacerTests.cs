using Microsoft.Extensions.Options;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

[Trait("kind", "unit")]
public sealed class LaunchPacerTests : IAsyncDisposable
{
    private static readonly string s_yaml = Specs.Web(servers: 12);

    private readonly ManualTimeProvider _clock = new();
    private readonly ControlPlaneServices _services = new();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task EnterAsync_MoreLaunchesThanTheBound_WaitForServersToComeIntoService()
    {
        var runtime = await _services.RuntimeAsync(s_yaml);
        var pacer = Pacer(cores: 1, perCore: 2);
        var servers = runtime.State.FindTier("web")!.Servers;
        var entries = servers.Select(s => pacer.EnterAsync(runtime, s, CancellationToken.None)).ToList();

        Assert.Equal(2, entries.Count(e => e.IsCompleted));

        // One fast boot while every slot is taken: its slot is given back and the bound grows by one.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await InServiceAsync(runtime, servers[0].Name);
        pacer.Settle(runtime.Name, runtime.State);

        await Eventually.WaitAsync(() => entries.Count(e => e.IsCompleted) == 4, "two more launches");
        Assert.Equal(3, pacer.Limit);
        Assert.All(entries.Where(e => e.IsCompleted), e => Assert.True(e.Result));
    }

    [Fact]
    public async Task EnterAsync_ServersPlacedOnHosts_BoundIsPerCoreOfTheReadyHosts()
    {
        var runtime = await _services.RuntimeAsync(s_yaml);
        var hosts = new HostCores { Cores = 3 };
        var pacer = new LaunchPacer(Options.Create(new ControlPlaneOptions { LaunchesPerCore = 2, MaxLaunchesPerCore = 8 }), _clock, hosts);
        var servers = runtime.State.FindTier("web")!.Servers;

        var entries = servers.Select(s => pacer.EnterAsync(runtime, s, CancellationToken.None)).ToList();
        Assert.Equal(6, entries.Count(e => e.IsCompleted));
        Assert.Equal(6, pacer.Limit);

        // A host more: two slots more, and the waiting launches see them on their next look.
        hosts.Cores = 4;
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        await Eventually.WaitAsync(() => entries.Count(e => e.IsCompleted) == 8, "two more launches on the added host's cores");
        Assert.Equal(8, pacer.Limit);
    }

    [Fact]
    public async Task Settle_BootsTakeMostOfTheirGrace_BoundShrinksButNeverBelowOnePerCore()
    {
        var runtime = await _services.RuntimeAsync(s_yaml);
        var pacer = Pacer(cores: 2, perCore: 3);
        var servers = runtime.State.FindTier("web")!.Servers.ToList();
        var entries = servers.Select(s => pacer.EnterAsync(runtime, s, CancellationToken.None)).ToList();
        _clock.Advance(TimeSpan.FromSeconds(1));
        await InServiceAsync(runtime, servers[0].Name);
        pacer.Settle(runtime.Name, runtime.State);
        var grown = pacer.Limit;

        var limits = new List<int>();
        for (var i = 0; i < 7; i++)
        {
            var server = await AdmittedAsync(runtime, servers, entries);
            // 40 s of the 60 s a server may take to come up: the machine is saturated.
            _clock.Advance(TimeSpan.FromSeconds(40));
            await InServiceAsync(runtime, server.Name);
            pacer.Settle(runtime.Name, runtime.State);
            limits.Add(pacer.Limit);
        }

        Assert.Equal(7, grown);
        Assert.True(limits[^1] < grown, $"the bound went {string.Join(", ", limits)}");
        Assert.Equal(2, limits.Min());
    }

    [Fact]
    public async Task Settle_BootsSlowDownButStayFarFromTheirGrace_BoundKeepsGrowing()
    {
        var runtime = await _services.RuntimeAsync(s_yaml);
        var pacer = Pacer(cores: 1, perCore: 2);
        var servers = runtime.State.FindTier("web")!.Servers.ToList();
        var entries = servers.Select(s => pacer.EnterAsync(runtime, s, CancellationToken.None)).ToList();
        var limits = new List<int>();

        // The first boot takes 200 ms, the next ones 1.5 s each: slower as more run at once, a small share of 60 s.
        for (var i = 0; i < 6; i++)
        {
            // The bound grows only while every slot is used: the launches woken by the last settle must have taken
            // theirs (they do so on the thread pool, later on a busy machine) before the next boot is learnt from.
            await EverySlotTakenAsync(runtime, servers, entries, pacer);
            var server = await AdmittedAsync(runtime, servers, entries);
            _clock.Advance(TimeSpan.FromMilliseconds(i == 0 ? 200 : 1500));
            await InServiceAsync(runtime, server.Name);
            pacer.Settle(runtime.Name, runtime.State);
            limits.Add(pacer.Limit);
        }

        Assert.Equal([3, 4, 5, 6, 7, 8], limits);
    }

    [Fact]
    public async Task EnterAsync_SlotFreedBetweenPasses_WaitingLaunchTakesItWithinTheRecheckInterval()
    {
        var runtime = await _services.RuntimeAsync(s_yaml);
        var pacer = Pacer(cores: 1, perCore: 1);
        var servers = runtime.State.FindTier("web")!.Servers;
        Assert.True(await pacer.EnterAsync(runtime, servers[0], CancellationToken.None).WithTimeout());
        var second = pacer.EnterAsync(runtime, servers[1], CancellationToken.None);
        await InServiceAsync(runtime, servers[0].Name);

        // No reconcile pass settles the pacer: the waiting launch looks at the state itself.
        await Eventually.WaitAsync(
            () =>
            {
                _clock.Advance(TimeSpan.FromMilliseconds(100));
                return second.IsCompleted;
            },
            "the second launch to take the freed slot");

        Assert.True(await second.WithTimeout());
    }

    [Fact]
    public async Task EnterAsync_ScaledInWhileEverySlotStaysTaken_GivesUpWithinTheRecheckInterval()
    {
        var runtime = await _services.RuntimeAsync(s_yaml);
        var pacer = Pacer(cores: 1, perCore: 1);
        var servers = runtime.State.FindTier("web")!.Servers;
        Assert.True(await pacer.EnterAsync(runtime, servers[0], CancellationToken.None).WithTimeout());
        var second = pacer.EnterAsync(runtime, servers[1], CancellationToken.None);

        // Its termination is queued behind this launch: the launch must not wait for a slot that never frees.
        await runtime.MutateAsync(s => s.WithServer(servers[1] with { State = ServerStatus.Terminating }, _clock.GetUtcNow()), CancellationToken.None);
        await Eventually.WaitAsync(
            () =>
            {
                _clock.Advance(TimeSpan.FromMilliseconds(100));
                return second.IsCompleted;
            },
            "the scaled-in launch to give up");

        Assert.False(await second.WithTimeout());
        Assert.Equal(1, pacer.Limit);
    }

    [Fact]
    public async Task EnterAsync_ServerNoLongerPendingOnceItsTurnComes_ReturnsFalseAndHoldsNoSlot()
    {
        var runtime = await _services.RuntimeAsync(s_yaml);
        var pacer = Pacer(cores: 1, perCore: 1);
        var servers = runtime.State.FindTier("web")!.Servers;
        var first = pacer.EnterAsync(runtime, servers[0], CancellationToken.None);
        var second = pacer.EnterAsync(runtime, servers[1], CancellationToken.None);

        await runtime.MutateAsync(s => s.WithServer(servers[1] with { State = ServerStatus.Terminating }, _clock.GetUtcNow()), CancellationToken.None);
        await runtime.MutateAsync(s => s.WithServer(servers[0] with { State = ServerStatus.Failed }, _clock.GetUtcNow()), CancellationToken.None);
        pacer.Settle(runtime.Name, runtime.State);

        Assert.True(await first.WithTimeout());
        Assert.False(await second.WithTimeout());
        Assert.True(await pacer.EnterAsync(runtime, servers[2], CancellationToken.None).WithTimeout());
    }

    /// <summary>A server whose launch holds a slot and is not in service yet: whichever waiting launch took a freed slot.</summary>
    private static async Task<ServerState> AdmittedAsync(DeploymentRuntime runtime, IReadOnlyList<ServerState> servers, IReadOnlyList<Task<bool>> entries)
    {
        ServerState? admitted = null;
        await Eventually.WaitAsync(
            () =>
            {
                admitted = servers.Where((s, i) => entries[i].IsCompletedSuccessfully && entries[i].Result)
                    .FirstOrDefault(s => runtime.State.FindServer("web", s.Name)?.State == ServerStatus.Pending);
                return admitted is not null;
            },
            "a launch holding a slot");
        return admitted!;
    }

    private static Task EverySlotTakenAsync(DeploymentRuntime runtime, IReadOnlyList<ServerState> servers, IReadOnlyList<Task<bool>> entries, LaunchPacer pacer) =>
        Eventually.WaitAsync(
            () => servers.Where((s, i) => entries[i].IsCompletedSuccessfully && entries[i].Result)
                .Count(s => runtime.State.FindServer("web", s.Name)?.State == ServerStatus.Pending) == pacer.Limit,
            "every slot taken by a waiting launch");

    private LaunchPacer Pacer(int cores, int perCore) =>
        new(Options.Create(new ControlPlaneOptions { Cores = cores, LaunchesPerCore = perCore, MaxLaunchesPerCore = 8 }), _clock);

    private Task InServiceAsync(DeploymentRuntime runtime, string name) => runtime.MutateAsync(
        s => s.WithServer(s.FindServer("web", name)! with { State = ServerStatus.InService }, _clock.GetUtcNow()), CancellationToken.None);

    /// <summary>Placement on hosts whose cores add up to <see cref="Cores"/>.</summary>
    private sealed class HostCores : ITierCapacity
    {
        public int Cores { get; set; }

        public int? BootCores => Cores;

        public Task<string?> ShortageAsync(string deployment, Spec.Model.TierSpec tier, int count, IReadOnlySet<string> leaving, CancellationToken ct) => Task.FromResult<string?>(null);

        public Task<IReadOnlyList<Planning.PlannedHost>?> PreviewAsync(string deployment, Spec.Model.TierSpec tier, int count, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<Planning.PlannedHost>?>(null);

        public string? WhyMoving(string serverId) => null;
    }
}
