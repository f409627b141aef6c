using System.Diagnostics;
using Microsoft.Extensions.Options;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.Planning.Images;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Testing;
using ServerState = Strata.Planning.State.ServerState;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>A death is acted on only once confirmed, against a real server process of the local provider.</summary>
[Trait("kind", "unit")]
public sealed class DeathVerdictsTests : IAsyncDisposable
{
    private readonly LocalServers _local = new("strata-death");
    private readonly ManualTimeProvider _clock = new();
    private readonly ReconcileTriggers _triggers;

    public DeathVerdictsTests() => _triggers = new ReconcileTriggers(_clock);

    private ICloudProvider Provider => _local.Provider;

    public ValueTask DisposeAsync() => _local.DisposeAsync();

    [Fact]
    public async Task JudgeAsync_ListedNotRunningWhileTheProcessRuns_ReturnsItRunning()
    {
        var server = await LaunchAsync("shop-web-aaaaa1");

        var verdict = await Verdicts().JudgeAsync("shop", server, CancellationToken.None).WithTimeout();

        Assert.Equal(Providers.ServerInstanceState.Running, ServerStatusOf(verdict));
        Assert.Null(verdict.Death);
    }

    [Fact]
    public async Task JudgeAsync_ProcessKilled_ConfirmedAtOnceWithItsExitCode()
    {
        var server = await LaunchAsync("shop-web-aaaaa2");
        using (var process = Process.GetProcessById(server.ProcessId!.Value))
        {
            process.Kill(entireProcessTree: true);
        }

        await Eventually.WaitAsync(async () => (await Provider.DescribeServerAsync(server.Name, CancellationToken.None))?.State != Providers.ServerInstanceState.Running, "the provider to see the exit");
        var verdict = await Verdicts().JudgeAsync("shop", server, CancellationToken.None).WithTimeout();

        Assert.StartsWith("the process exited with code ", verdict.Death);
    }

    [Fact]
    public async Task JudgeAsync_Disappeared_ConfirmedOnlyBySecondLookAfterTheDelay()
    {
        var server = await LaunchAsync("shop-web-aaaaa3");
        await Provider.TerminateAsync(server.Name, TimeSpan.Zero, CancellationToken.None).WithTimeout();
        var verdicts = Verdicts();

        var first = await verdicts.JudgeAsync("shop", server, CancellationToken.None).WithTimeout();
        _clock.Advance(TimeSpan.FromMilliseconds(900));
        var early = await verdicts.JudgeAsync("shop", server, CancellationToken.None).WithTimeout();
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        var second = await verdicts.JudgeAsync("shop", server, CancellationToken.None).WithTimeout();

        Assert.True(first.Pending);
        Assert.True(early.Pending);
        Assert.Equal("the server disappeared", second.Death);
    }

    [Fact]
    public async Task JudgeAsync_DisappearedWhileAHostNotHeardFromMayRunIt_ConfirmedOnlyOnceThatHostAnswersForIt()
    {
        var server = await LaunchAsync("shop-web-aaaaa8");
        await Provider.TerminateAsync(server.Name, TimeSpan.Zero, CancellationToken.None).WithTimeout();
        var reach = new SilentHost($"{server.Name} may run on host h2, not heard from since this control plane started");
        var verdicts = Verdicts(reach);

        var first = await verdicts.JudgeAsync("shop", server, CancellationToken.None).WithTimeout();
        _clock.Advance(TimeSpan.FromMinutes(1));
        var whileSilent = await verdicts.JudgeAsync("shop", server, CancellationToken.None).WithTimeout();
        reach.Why = null;
        var once = await verdicts.JudgeAsync("shop", server, CancellationToken.None).WithTimeout();

        Assert.True(first.Pending);
        Assert.True(whileSilent.Pending);
        Assert.Equal("the server disappeared", once.Death);
    }

    [Fact]
    public async Task JudgeAsync_Disappeared_AsksForAPassOfItsDeploymentWhenTheSecondLookIsDue()
    {
        var server = await LaunchAsync("shop-web-aaaaa7");
        await Provider.TerminateAsync(server.Name, TimeSpan.Zero, CancellationToken.None).WithTimeout();
        var requested = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _triggers.Requested += deployment => requested.TrySetResult(deployment);

        Assert.True((await Verdicts().JudgeAsync("shop", server, CancellationToken.None).WithTimeout()).Pending);
        await Eventually.WaitAsync(() => _clock.NextTimerDueAt is not null, "the second look to be scheduled");
        var due = _clock.NextTimerDueAt!.Value - _clock.GetUtcNow();
        _clock.Advance(due);

        Assert.Equal(TimeSpan.FromSeconds(1), due);
        Assert.Equal("shop", await requested.Task.WithTimeout());
    }

    [Fact]
    public async Task Settle_SuspectedServerRemovedByAnotherPath_ForgetsIt()
    {
        var server = await LaunchAsync("shop-web-aaaaa5");
        await Provider.TerminateAsync(server.Name, TimeSpan.Zero, CancellationToken.None).WithTimeout();
        var verdicts = Verdicts();
        Assert.True((await verdicts.JudgeAsync("shop", server, CancellationToken.None).WithTimeout()).Pending);

        // Another deployment's pass leaves it alone; this deployment's pass, whose state no longer has it, forgets it.
        verdicts.Settle("other", StateOf(), Observed());
        var afterOther = verdicts.Suspected.ToList();
        verdicts.Settle("shop", StateOf(), Observed());

        Assert.Equal([server.Name], afterOther);
        Assert.Empty(verdicts.Suspected);
    }

    [Fact]
    public async Task JudgeAsync_SuspicionClearedByARunningListingLongAgo_NeedsASecondLookAgain()
    {
        // Unknown to the provider at a first look, then listed running for an hour, then gone for good.
        var server = State("shop-web-aaaaa6", 4242);
        var verdicts = Verdicts();
        Assert.True((await verdicts.JudgeAsync("shop", server, CancellationToken.None).WithTimeout()).Pending);
        verdicts.Settle("shop", StateOf(server), Observed(AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _local.ImageFolder)));
        _clock.Advance(TimeSpan.FromHours(1));

        var verdict = await verdicts.JudgeAsync("shop", server, CancellationToken.None).WithTimeout();

        Assert.True(verdict.Pending, $"confirmed at the first look after an hour: {verdict.Death}");
    }

    [Theory]
    [InlineData(ServerStatus.Failed, FailureCause.ProcessGone, Providers.ServerInstanceState.Running, false, true)]
    [InlineData(ServerStatus.Failed, null, Providers.ServerInstanceState.Running, false, false)]
    [InlineData(ServerStatus.Failed, FailureCause.ProcessGone, Providers.ServerInstanceState.Stopped, false, false)]
    [InlineData(ServerStatus.Failed, FailureCause.ProcessGone, Providers.ServerInstanceState.Running, true, false)]
    public void WronglyFailed_OnlyAGoneVerdictOnARunningServerWithoutVolumes(
        ServerStatus state, FailureCause? cause, Providers.ServerInstanceState observed, bool hasVolumes, bool expected)
    {
        var server = State("shop-web-aaaaa4", 1) with { State = state, Failure = cause };
        var instance = AppliedDeployments.RunningInstance(server, _clock.GetUtcNow(), _local.ImageFolder) with { State = observed };

        Assert.Equal(expected, DeathVerdicts.WronglyFailed(server, instance, hasVolumes));
    }

    private static DeploymentState StateOf(params ServerState[] servers)
    {
        var state = DeploymentState.Empty("shop");
        var tier = new TierState
        {
            LogicalName = "web", ImageDigest = AppliedDeployments.ImageDigest, LaunchDigest = "launch", SettingsDigest = "settings",
            Count = new TierCount(servers.Length, servers.Length, servers.Length), Servers = [.. servers],
        };
        return state with { Tiers = [tier] };
    }

    private static Dictionary<string, ServerInstance> Observed(params ServerInstance[] instances) =>
        instances.ToDictionary(i => i.Id, StringComparer.Ordinal);

    private DeathVerdicts Verdicts(IServerReach? reach = null) =>
        new(Provider, reach ?? new SilentHost(null), _triggers, Options.Create(new ControlPlaneOptions()), _clock);

    /// <summary>Reach as the fleet tells it while a host that may run any unlisted server has not answered: <paramref name="why"/>.</summary>
    private sealed class SilentHost(string? why) : IServerReach
    {
        public string? Why { get; set; } = why;

        public string? WhyUnreachable(string serverId) => null;

        public string? WhyUnaccounted(string serverId) => Why;
    }

    private static Providers.ServerInstanceState? ServerStatusOf(DeathVerdict verdict) => verdict.Running?.State;

    private async Task<ServerState> LaunchAsync(string id)
    {
        var image = await _local.RegisterImageAsync(("run.sh", "exec sleep 300\n"));
        var instance = await Provider.LaunchAsync(new LaunchRequest
        {
            ServerId = id, Deployment = "shop", Tier = "web", Image = image,
            Settings = _ => new LaunchSettings { RunCommand = "sh run.sh" },
        }, CancellationToken.None).WithTimeout();
        Assert.Equal(Providers.ServerInstanceState.Running, instance.State);
        return State(id, instance.ProcessId!.Value);
    }

    private ServerState State(string id, int pid) => new()
    {
        Name = id, Tier = "web", Zone = "local-a", State = ServerStatus.Booting, ImageDigest = AppliedDeployments.ImageDigest,
        LaunchDigest = "launch", LaunchedAt = _clock.GetUtcNow(), ProcessId = pid, Address = "127.0.0.1",
    };
}
