using System.Collections.Concurrent;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Reconciliation;
using Strata.LoadBalancing;
using Strata.Planning.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// A load balancer's process starts in the background of a pass: the pass (and the servers' launches and the
/// membership of servers coming into service) never waits for it, and its members are set as soon as it answers.
/// </summary>
[Trait("kind", "unit")]
public sealed class LoadBalancerStartTests
{
    private static readonly string Yaml = Specs.Web(servers: 1, front: true);

    /// <summary>Long enough for a pass over one server with fakes; far shorter than a start held back by the test.</summary>
    private static readonly TimeSpan s_pass = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Reconcile_LoadBalancerSlowToStart_PassEndsAndMembersAreSetOnceItAnswers()
    {
        var driver = new HeldStartDriver();
        await using var services = LoadBalancerDoubles.Services(driver);
        var runtime = await services.RuntimeAsync(Yaml, s => WithWebServer(s, ServerStatus.InService));
        services.Get<DeploymentRegistry>().GetOrAdd("shop", () => runtime);
        var reconciler = services.Get<DeploymentReconciler>();
        var asked = new ConcurrentQueue<string>();
        reconciler.Changed += asked.Enqueue;

        await reconciler.ReconcileAsync(runtime, CancellationToken.None).WithTimeout(s_pass);
        await reconciler.ReconcileAsync(runtime, CancellationToken.None).WithTimeout(s_pass);

        // The start runs on the thread pool, beside the passes: on a busy machine it may begin after they ended.
        await Eventually.WaitAsync(() => driver.Starts == 1, "the load balancer's start to begin");
        Assert.Empty(driver.MemberSets);
        driver.Answer();
        await Eventually.WaitAsync(() => !driver.MemberSets.IsEmpty, "the members set once the load balancer answers");
        var member = Assert.Single(Assert.Single(driver.MemberSets));
        Assert.Equal((WebServer(runtime).Name, MemberState.Active), (member.Name, member.State));
        Assert.Equal([WebServer(runtime).Name], runtime.State.FindLoadBalancer("front")!.Members);
        await Eventually.WaitAsync(() => asked.Contains("shop"), "a pass asked for once the start ended");
        Assert.Equal(1, driver.Starts);
    }

    [Fact]
    public async Task Reconcile_ServerStillBootingWhenLoadBalancerAnswers_IsNoMemberInRotation()
    {
        var driver = new HeldStartDriver();
        driver.Answer();
        await using var services = LoadBalancerDoubles.Services(driver);
        var runtime = await services.RuntimeAsync(Yaml, s => WithWebServer(s, ServerStatus.Booting));
        services.Get<DeploymentRegistry>().GetOrAdd("shop", () => runtime);

        await services.Get<DeploymentReconciler>().ReconcileAsync(runtime, CancellationToken.None).WithTimeout(s_pass);

        await Eventually.WaitAsync(() => !driver.MemberSets.IsEmpty, "the members set once the load balancer answers");
        var member = Assert.Single(Assert.Single(driver.MemberSets));
        Assert.Equal(MemberState.Standby, member.State);
        Assert.Empty(runtime.State.FindLoadBalancer("front")!.Members);
    }

    private static ServerState WebServer(DeploymentRuntime runtime) => runtime.State.FindTier("web")!.Servers[0];

    /// <summary>The web server launched, in <paramref name="status"/>, from an image baked before.</summary>
    private static DeploymentState WithWebServer(DeploymentState state, ServerStatus status) =>
        state.WithServer(state.FindTier("web")!.Servers[0] with { State = status, Address = "127.0.0.9" }, DateTimeOffset.UnixEpoch) with
        {
            Images = [new ImageState { LogicalName = "app", Digest = AppliedDeployments.ImageDigest, ArtifactId = Artifact }],
            Artifacts = new Dictionary<string, string> { [AppliedDeployments.ImageDigest] = Artifact },
        };

    private const string Artifact = "sha256:baked";

    /// <summary>A driver whose first start is held until <see cref="Answer"/>, as a proxy process still starting is.</summary>
    private sealed class HeldStartDriver : ILoadBalancerDriver
    {
        private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _starts;

        public string Name => "builtin";

        public int Starts => Volatile.Read(ref _starts);

        public ConcurrentQueue<IReadOnlyList<Member>> MemberSets { get; } = new();

        public void Answer() => _answered.TrySetResult();

        public async Task<LoadBalancerInstance> EnsureRunningAsync(LoadBalancerDefinition definition, CancellationToken ct)
        {
            if (!_answered.Task.IsCompleted)
            {
                Interlocked.Increment(ref _starts);
            }

            await _answered.Task.WaitAsync(ct);
            return new LoadBalancerInstance { Id = definition.Id, State = LoadBalancerInstanceState.Running, ProcessId = 4242, Url = "http://127.0.0.1:18080" };
        }

        public Task<IReadOnlyList<MemberStatus>> SetMembersAsync(LoadBalancerInstance instance, IReadOnlyList<Member> members, CancellationToken ct)
        {
            MemberSets.Enqueue(members);
            return Task.FromResult<IReadOnlyList<MemberStatus>>([]);
        }

        public Task<LoadBalancerInstance?> DescribeAsync(string id, CancellationToken ct) => Task.FromResult<LoadBalancerInstance?>(null);

        public Task<LoadBalancerStats?> GetStatsAsync(LoadBalancerInstance instance, CancellationToken ct) => Task.FromResult<LoadBalancerStats?>(null);

        public Task StopAsync(string id, CancellationToken ct) => Task.CompletedTask;
    }
}
