using System.Runtime.CompilerServices;
using System.Text;
using Strata.Api.Contracts;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Api.V1;
using Strata.ControlPlane.Hosting;
using Strata.ControlPlane.Reconciliation;
using Strata.ControlPlane.State;
using Strata.LoadBalancing.Pinning;
using Strata.Planning;
using Strata.Providers.Hosts.Placement;
using Strata.Planning.Images;
using Strata.Planning.Parameters;
using Strata.Planning.Rendering;
using Strata.Planning.Serialization;
using Strata.Planning.State;
using Strata.Planning.Tiers;
using Strata.Providers;

namespace Strata.ControlPlane.Deployments;

/// <summary>The deployments behind the REST API: apply a spec, plan it, read status, scale, delete, read logs.</summary>
internal sealed class DeploymentService(
    DeploymentRegistry registry,
    ICloudProvider provider,
    LoadBalancerCoordinator loadBalancers,
    DeploymentRollback rollback,
    InstallationKey key,
    ITierCapacity capacity,
    ILoadBalancerHosts loadBalancerHosts,
    TimeProvider time) : IDeploymentService
{
    private readonly SemaphoreSlim _applyGate = new(1, 1);

    public async Task<ApplyResponse> PlanAsync(ApplyRequest request, CancellationToken ct)
    {
        await registry.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        var desired = SpecSource.Load(request.SpecPath, request.Parameters);
        var state = registry.Find(desired.Spec.Name)?.State ?? DeploymentState.Empty(desired.Spec.Name);
        return Response(desired, state.Serial, Plan(desired, state, await HostsAsync(desired, ct).ConfigureAwait(false)));
    }

    public async Task<ApplyResponse> ApplyAsync(string name, ApplyRequest request, CancellationToken ct)
    {
        await registry.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        var desired = SpecSource.Load(request.SpecPath, request.Parameters);
        if (desired.Spec.Name != name)
        {
            throw new ArgumentException($"the spec describes deployment '{desired.Spec.Name}', not '{name}'");
        }

        await _applyGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var known = registry.Find(name);
            var state = known?.State ?? DeploymentState.Empty(name);
            var plan = ChoosePlan(desired, state, request.SavedPlan, await HostsAsync(desired, ct).ConfigureAwait(false));
            var runtime = known ?? registry.CreateNew(name, desired, state);
            var applied = await runtime.ApplyAsync(desired, s => PlanApplication.Apply(s, desired.Spec, desired.ImageDigests, plan, time.GetUtcNow(), ServerPin.NewKey), ct).ConfigureAwait(false);
            if (known is null)
            {
                registry.Add(runtime);
            }

            registry.Signal(name);
            return Response(desired, applied.Serial, plan);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    private Plan ChoosePlan(DesiredDeployment desired, DeploymentState state, string? savedPlan, IReadOnlyDictionary<string, IReadOnlyList<PlannedHost>>? hosts)
    {
        var fresh = Plan(desired, state, hosts);
        var plan = fresh;
        if (savedPlan is not null)
        {
            plan = PlanJson.DeserializePlan(savedPlan);
            try
            {
                plan.EnsureApplicableTo(state, fresh.SpecDigest, fresh.ParameterDigest);
            }
            catch (PlanOutOfDateException ex)
            {
                throw new ConflictException(ex.Message);
            }
        }

        if (plan.HasProblems)
        {
            throw new InvalidSpecException([.. plan.Problems.Select(p => p.ToString())]);
        }

        return plan;
    }

    /// <summary>Where each tier's new servers would go when hosts are registered (null when they are not), for the plan to show.</summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlyList<PlannedHost>>?> HostsAsync(DesiredDeployment desired, CancellationToken ct)
    {
        var hosts = new Dictionary<string, IReadOnlyList<PlannedHost>>(StringComparer.Ordinal);
        foreach (var tier in desired.Spec.Tiers)
        {
            if (await capacity.PreviewAsync(desired.Spec.Name, tier, tier.Servers.Desired, ct).ConfigureAwait(false) is not { } planned)
            {
                return null;
            }

            hosts[tier.Name] = planned;
        }

        foreach (var lb in desired.Spec.LoadBalancers.Where(l => l.Placement is not null))
        {
            hosts[HostPlacement.LoadBalancerTier(lb.Name)] = await loadBalancerHosts.PreviewAsync(desired.Spec.Name, lb, [.. desired.Spec.LoadBalancers.Select(l => l.Name)], ct).ConfigureAwait(false) is { } host
                ? [host]
                : [];
        }

        return hosts;
    }

    private Plan Plan(DesiredDeployment desired, DeploymentState state, IReadOnlyDictionary<string, IReadOnlyList<PlannedHost>>? hosts) =>
        Planner.Plan(desired.Spec, state, new PlanOptions
        {
            Hosts = hosts,
            TimeProvider = time,
            ParameterDigest = ParameterDigest.Compute(desired.Spec.Parameters, desired.Parameters, key.Bytes),
            ComputeImageDigest = folder => desired.Spec.Images
                .Where(i => SpecSource.ImageFolder(desired.Spec, i) == Path.GetFullPath(folder))
                .Select(i => desired.ImageDigests[i.Name]).FirstOrDefault() ?? ImageDigest.Compute(folder),
            DefaultZone = provider.Zones[0],
        });

    private ApplyResponse Response(DesiredDeployment desired, long serial, Plan plan) => new()
    {
        Deployment = desired.Spec.Name,
        Serial = serial,
        PlanJson = PlanJson.Serialize(plan),
        PlanText = PlanRenderer.RenderText(plan),
        Warnings = Warnings(desired),
    };

    private List<string> Warnings(DesiredDeployment desired)
    {
        var warnings = new List<string>();
        if (desired.Spec.Firewall.Count > 0 && !provider.Capabilities.SupportsFirewall)
        {
            warnings.Add($"the {provider.Name} provider does not enforce firewall rules; {desired.Spec.Firewall.Count} recorded, not applied");
        }

        return warnings;
    }

    public async Task<IReadOnlyList<DeploymentSummaryDto>> ListAsync(CancellationToken ct)
    {
        await registry.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        return [.. registry.All.OrderBy(r => r.Name, StringComparer.Ordinal).Select(r =>
        {
            var servers = r.State.Tiers.SelectMany(t => t.Servers).ToList();
            return new DeploymentSummaryDto(r.Name, DeploymentStatusBuilder.Phase(r), servers.Count,
                servers.Count(s => s.State == ServerStatus.InService), r.State.Serial);
        })];
    }

    public async Task<DeploymentStatusDto> GetStatusAsync(string name, CancellationToken ct)
    {
        await registry.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        var runtime = Require(name);
        return DeploymentStatusBuilder.Build(runtime, loadBalancers);
    }

    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        await registry.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        await Require(name).MarkDeletingAsync(ct).ConfigureAwait(false);
        registry.Signal(name);
    }

    public async Task ScaleAsync(string name, string tier, int desired, CancellationToken ct)
    {
        await registry.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        var runtime = Require(name);
        var tierState = runtime.State.FindTier(tier) ?? throw new NotFoundException($"deployment '{name}' has no tier '{tier}'; tiers: {string.Join(", ", runtime.State.Tiers.Select(t => t.LogicalName))}");
        if (desired < tierState.Count.Min || desired > tierState.Count.Max)
        {
            throw new ArgumentException($"tier '{tier}' runs between {tierState.Count.Min} and {tierState.Count.Max} servers; {desired} is outside that range (change min/max in the spec)");
        }

        await runtime.MutateAsync(s => s.WithTier(tierState with { Count = tierState.Count with { Desired = desired } }), ct).ConfigureAwait(false);
        registry.Signal(name);
    }

    public async Task RollbackAsync(string name, CancellationToken ct)
    {
        await registry.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        if (await rollback.RollBackAsync(Require(name), "requested with `strata rollback`", ct).ConfigureAwait(false) == RollbackResult.NoPreviousApply)
        {
            throw new ConflictException($"deployment '{name}' has no earlier apply to roll back to");
        }

        registry.Signal(name);
    }

    public async Task PromoteAsync(string name, string? tier, CancellationToken ct)
    {
        await registry.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        var runtime = Require(name);
        var waiting = runtime.State.Tiers.Where(t => t.Rollout?.Phase == RolloutPhase.AwaitingPromotion && (tier is null || t.LogicalName == tier)).ToList();
        if (waiting.Count == 0)
        {
            throw new ConflictException(tier is null ? $"no tier of '{name}' is waiting for promotion" : $"tier '{tier}' of '{name}' is not waiting for promotion");
        }

        await runtime.MutateAsync(s => Rollouts.Promote(s, tier), ct).ConfigureAwait(false);
        registry.Signal(name);
    }

    public async IAsyncEnumerable<string> ReadLogAsync(string name, string server, int tail, bool follow, [EnumeratorCancellation] CancellationToken ct)
    {
        await registry.WhenLoaded.WaitAsync(ct).ConfigureAwait(false);
        var runtime = Require(name);
        if (!runtime.State.Tiers.SelectMany(t => t.Servers).Any(s => s.Name == server))
        {
            throw new NotFoundException($"deployment '{name}' has no server '{server}'");
        }

        var lines = follow ? provider.FollowLogAsync(server, tail, ct) : Tail(server, tail, ct);
        await foreach (var line in lines.ConfigureAwait(false))
        {
            yield return line;
        }
    }

    private async IAsyncEnumerable<string> Tail(string server, int tail, [EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var line in await provider.ReadLogTailAsync(server, tail, ct).ConfigureAwait(false))
        {
            yield return line;
        }
    }

    private DeploymentRuntime Require(string name) =>
        registry.Find(name) ?? throw new NotFoundException($"no deployment named '{name}'; `strata status` lists them");
}

/// <summary>A per-installation secret used to key parameter digests (see <see cref="ParameterDigest"/>).</summary>
public sealed record InstallationKey(byte[] Bytes)
{
    public static InstallationKey From(string token) => new(Encoding.UTF8.GetBytes(token));
}
