using System.Collections.Concurrent;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Reconciliation;
using Strata.LoadBalancing;
using Strata.Planning.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// A server drained from a load balancer (scaled in, replaced) while a pass gives the load balancer its members: the
/// two changes reach the load balancer one after the other, each from the servers as they are then, so the drained
/// server never comes back into rotation on its way out.
/// </summary>
[Trait("kind", "unit")]
public sealed class LoadBalancerDrainTests
{
    private static readonly string Yaml = Specs.Web(servers: 2, front: true);

    /// <summary>How long a drain is given to reach the load balancer before the pass's change does: the drain must not.</summary>
    private static readonly TimeSpan s_drainChance = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Drain_WhileAPassSetsMembersReadBeforeIt_DrainedServerStaysOutOfRotation()
    {
        var driver = new HeldMembersDriver();
        await using var services = LoadBalancerDoubles.Services(driver);
        var runtime = await services.RuntimeAsync(Yaml, s => WithWebServers(s, ServerStatus.InService, ServerStatus.Booting));
        services.Get<DeploymentRegistry>().GetOrAdd("shop", () => runtime);
        var coordinator = services.Get<LoadBalancerCoordinator>();
        var (leaving, staying) = (runtime.State.FindTier("web")!.Servers[0], runtime.State.FindTier("web")!.Servers[1]);
        // A pass finds the load balancer running (no start of its own in the background) and sets its members.
        await coordinator.ReconcileAsync(runtime, CancellationToken.None).WithTimeout();
        Assert.Equal([leaving.Name], runtime.State.FindLoadBalancer("front")!.Members);

        // The second server comes into service: a pass sends both, and its change is held on the way.
        await runtime.MutateAsync(s => s.WithServer(staying with { State = ServerStatus.InService }, DateTimeOffset.UnixEpoch), CancellationToken.None);
        driver.HoldNext();
        var pass = coordinator.ReconcileAsync(runtime, CancellationToken.None);
        await driver.Holding.WaitAsync(TimeSpan.FromSeconds(30));

        // Meanwhile the first one is scaled in: marked terminating and drained.
        await runtime.MutateAsync(s => s.WithServer(leaving with { State = ServerStatus.Terminating }, DateTimeOffset.UnixEpoch), CancellationToken.None);
        var drain = coordinator.DrainAsync(runtime, leaving.Name, "scaling in to 1", CancellationToken.None);
        await Task.WhenAny(drain, Task.Delay(s_drainChance));
        driver.Release();
        await pass.WithTimeout();
        await drain.WithTimeout();

        var last = driver.Sets.Last();
        Assert.DoesNotContain(last, m => m.Name == leaving.Name && m.State == MemberState.Active);
        Assert.Contains(last, m => m.Name == staying.Name && m.State == MemberState.Active);
        Assert.Equal([staying.Name], runtime.State.FindLoadBalancer("front")!.Members);
    }

    [Fact]
    public async Task Drain_ReplacementInServiceBeforeAPassMadeItAMember_IsAMemberInTheStateAtOnce()
    {
        var driver = new HeldMembersDriver();
        await using var services = LoadBalancerDoubles.Services(driver);
        var runtime = await services.RuntimeAsync(Yaml, s => WithWebServers(s, ServerStatus.InService, ServerStatus.Booting));
        services.Get<DeploymentRegistry>().GetOrAdd("shop", () => runtime);
        var coordinator = services.Get<LoadBalancerCoordinator>();
        var (leaving, replacement) = (runtime.State.FindTier("web")!.Servers[0], runtime.State.FindTier("web")!.Servers[1]);
        await coordinator.ReconcileAsync(runtime, CancellationToken.None).WithTimeout();

        // The replacement comes into service and the old server is drained before a pass looks again.
        await runtime.MutateAsync(s => s.WithServer(replacement with { State = ServerStatus.InService }, DateTimeOffset.UnixEpoch), CancellationToken.None);
        await runtime.MutateAsync(s => s.WithServer(leaving with { State = ServerStatus.Terminating }, DateTimeOffset.UnixEpoch), CancellationToken.None);
        await coordinator.DrainAsync(runtime, leaving.Name, "replaced", CancellationToken.None).WithTimeout();
        var members = runtime.State.FindLoadBalancer("front")!.Members;
        var told = driver.Sets.Count;
        await coordinator.ReconcileAsync(runtime, CancellationToken.None).WithTimeout();

        Assert.Equal([replacement.Name], members);
        Assert.Equal([replacement.Name], driver.Sets.Last().Where(m => m.State == MemberState.Active).Select(m => m.Name));
        Assert.Equal(told, driver.Sets.Count);
    }

    private static DeploymentState WithWebServers(DeploymentState state, ServerStatus first, ServerStatus second)
    {
        var web = state.FindTier("web")!;
        var servers = web.Servers.Select((s, i) => s with { State = i == 0 ? first : second, Address = $"127.0.0.{i + 9}" }).ToList();
        return state.WithTier(web with { Servers = servers }) with
        {
            Images = [new ImageState { LogicalName = "app", Digest = AppliedDeployments.ImageDigest, ArtifactId = "sha256:baked" }],
            Artifacts = new Dictionary<string, string> { [AppliedDeployments.ImageDigest] = "sha256:baked" },
        };
    }

    /// <summary>A running load balancer whose next change of members, once asked, is held until <see cref="Release"/>.</summary>
    private sealed class HeldMembersDriver : ILoadBalancerDriver
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _hold;

        public string Name => "builtin";

        /// <summary>The changes of members in the order they took effect.</summary>
        public ConcurrentQueue<IReadOnlyList<Member>> Sets { get; } = new();

        public Task Holding => _holding.Task;

        public void HoldNext() => Volatile.Write(ref _hold, 1);

        public void Release() => _released.TrySetResult();

        public Task<LoadBalancerInstance> EnsureRunningAsync(LoadBalancerDefinition definition, CancellationToken ct) =>
            Task.FromResult(new LoadBalancerInstance { Id = definition.Id, State = LoadBalancerInstanceState.Running, ProcessId = 4242, Url = "http://127.0.0.1:18080" });

        public async Task<IReadOnlyList<MemberStatus>> SetMembersAsync(LoadBalancerInstance instance, IReadOnlyList<Member> members, CancellationToken ct)
        {
            if (Interlocked.Exchange(ref _hold, 0) == 1)
            {
                _holding.TrySetResult();
                await _released.Task.WaitAsync(ct);
            }

            Sets.Enqueue(members);
            return [];
        }

        public Task<LoadBalancerInstance?> DescribeAsync(string id, CancellationToken ct) => Task.FromResult<LoadBalancerInstance?>(null);

        public Task<LoadBalancerStats?> GetStatsAsync(LoadBalancerInstance instance, CancellationToken ct) => Task.FromResult<LoadBalancerStats?>(null);

        public Task StopAsync(string id, CancellationToken ct) => Task.CompletedTask;
    }
}
