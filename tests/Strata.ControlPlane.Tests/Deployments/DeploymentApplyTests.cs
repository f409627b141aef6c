using Microsoft.Extensions.DependencyInjection;
using Strata.Api.Contracts;
using Strata.ControlPlane.Api.V1;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Deployments;

/// <summary>
/// A deployment applied for the first time is known to reconcile passes only once its first apply is made: a pass
/// that found it earlier saw its spec without the state its plan creates, and created a second load balancer.
/// </summary>
[Trait("kind", "unit")]
public sealed class DeploymentApplyTests
{
    [Fact]
    public async Task Apply_NewDeploymentWhileItsFirstSaveIsHeldUp_NoPassCanFindItUntilApplied()
    {
        HeldStateStore? held = null;
        await using var services = new ControlPlaneServices(replace: s => s.AddSingleton<IStateStore>(
            provider => held = new HeldStateStore(ActivatorUtilities.CreateInstance<SqliteStateStore>(provider))));
        var registry = services.Get<DeploymentRegistry>();
        await registry.LoadAsync(CancellationToken.None).WithTimeout();
        using var folder = new TemporaryDirectory("strata-apply");
        folder.WriteFile("app/server.py", "");
        var spec = folder.WriteFile("strata.yaml", Specs.Shop);

        held!.Hold();
        var apply = services.Get<IDeploymentService>().ApplyAsync("shop", new ApplyRequest { SpecPath = spec, Parameters = new() { ["dbPassword"] = Specs.SecretPassword } }, CancellationToken.None);
        await Eventually.WaitAsync(() => held.Waiting, "the first save to reach the store");
        var whileSaving = registry.Find("shop");
        held.Release();
        await apply.WithTimeout();

        Assert.Null(whileSaving);
        var runtime = Assert.Single(registry.All);
        Assert.Equal(["front"], runtime.State.LoadBalancers.Select(l => l.LogicalName));
    }
}
