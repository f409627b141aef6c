using Microsoft.Extensions.Hosting;
using Strata.Api.Contracts;
using Strata.ControlPlane.Hosts;
using Strata.Providers.Hosts.Fleet;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Hosts;

/// <summary>The control plane's hosts service and monitor against a real sshd host, on a manual clock.</summary>
[Trait("kind", "e2e")]
public sealed class HostMonitorTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Monitor_HostPowersOff_InventoryRecordsUnreachableThenLost()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        var time = new ManualTimeProvider();
        await using var services = new ControlPlaneServices(time);
        // As the reconcile loop does when the control plane starts: a host's agent is fenced by the loaded state.
        await services.Get<Strata.ControlPlane.Deployments.DeploymentRegistry>().LoadAsync(CancellationToken.None).WithTimeout(s_timeout);
        var monitor = services.Get<IEnumerable<IHostedService>>().OfType<HostMonitor>().Single();
        await monitor.StartAsync(CancellationToken.None);
        var hosts = services.Get<HostService>();
        var inventory = services.Get<IHostInventory>();
        var options = services.Get<HostFleet>().Options;
        using var agents = new TemporaryDirectory();

        var added = await hosts.AddAsync(Request(host, agents), CancellationToken.None).WithTimeout(s_timeout);
        host.PowerOff();
        await Eventually.WaitAsync(async () => (await hosts.ListAsync(CancellationToken.None)).Single() is { Connected: false }, "the channel closes");
        time.Advance(options.HostTimeout);
        await Eventually.WaitAsync(async () => (await inventory.FindAsync("web1", CancellationToken.None))!.State == HostState.Unreachable, "unreachable recorded");
        time.Advance(options.HostLostAfter - options.HostTimeout);
        await Eventually.WaitAsync(async () => (await inventory.FindAsync("web1", CancellationToken.None))!.State == HostState.Lost, "lost recorded");
        var listed = (await hosts.ListAsync(CancellationToken.None)).Single();
        await monitor.StopAsync(CancellationToken.None).WithTimeout(s_timeout);

        Assert.Equal(("ready", Environment.ProcessorCount), (added.State, added.Capacity!.Cores));
        Assert.Equal(("lost", false, Environment.ProcessorCount), (listed.State, listed.Connected, listed.Capacity!.Cores));
    }

    private static HostAddRequest Request(SshdHost host, TemporaryDirectory agents) => new()
    {
        Name = "web1",
        Ssh = host.SshTarget,
        Identity = host.IdentityFile,
        AgentDir = agents.Combine("web1"),
        AgentRuntime = SshdHost.Dotnet,
        AcceptNewHostKey = true,
    };
}
