using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Deployments;
using Strata.Planning.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Deployments;

/// <summary>Each change of a deployment's phase is told once, as `strata status` would say it then.</summary>
[Trait("kind", "unit")]
public sealed class DeploymentPhaseEventsTests : IAsyncDisposable
{
    private readonly ControlPlaneServices _services = new();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task Observe_PhaseChangesAfterPasses_ToldOnceEach()
    {
        var runtime = await _services.RuntimeAsync(Specs.Web(servers: 1));
        var phases = _services.Get<DeploymentPhaseEvents>();

        await phases.ObserveAsync(runtime, CancellationToken.None).WithTimeout();
        await phases.ObserveAsync(runtime, CancellationToken.None).WithTimeout();
        var server = runtime.State.FindTier("web")!.Servers[0];
        runtime.Amend(s => s.WithServer(server with { State = ServerStatus.InService, Address = "127.0.0.1" }, DateTimeOffset.UnixEpoch));
        await phases.ObserveAsync(runtime, CancellationToken.None).WithTimeout();
        await phases.ObserveAsync(runtime, CancellationToken.None).WithTimeout();

        Assert.Equal(["shop is converging: 0 of 1 server in service", "shop is converged: 1 server in service"], await PhaseMessagesAsync());
    }

    [Fact]
    public async Task Observe_DeploymentForgottenThenCreatedAgain_ToldFromTheStart()
    {
        var runtime = await _services.RuntimeAsync(Specs.Web(servers: 1));
        var phases = _services.Get<DeploymentPhaseEvents>();
        await phases.ObserveAsync(runtime, CancellationToken.None).WithTimeout();

        phases.Forget("shop");
        await phases.ObserveAsync(runtime, CancellationToken.None).WithTimeout();

        Assert.Equal(2, (await PhaseMessagesAsync()).Count);
    }

    private async Task<List<string>> PhaseMessagesAsync()
    {
        var messages = new List<string>();
        await foreach (var e in _services.Get<Strata.ControlPlane.Events.EventLog>().ReadAsync("shop", 0, follow: false))
        {
            if (e.Kind == EventKinds.DeploymentPhase)
            {
                messages.Add(e.Message);
            }
        }

        return messages;
    }
}
