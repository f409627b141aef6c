using Microsoft.Extensions.DependencyInjection;
using Strata.LoadBalancing.Proxy;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>The HAProxy driver's lifecycle against a real haproxy.</summary>
public sealed class HaProxyLoadBalancerDriverTests
{
    [Fact]
    public async Task EnsureRunningAsync_HaProxyKilled_RestartsWithPersistedMembers()
    {
        await using var fixture = new ProxyFixture("haproxy");
        var backend = await fixture.BackendAsync("web-1", "127.0.0.91");
        var instance = await fixture.StartAsync("hx-restart");
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        using (var process = System.Diagnostics.Process.GetProcessById(instance.ProcessId))
        {
            process.Kill();
            await process.WaitForExitAsync().WithTimeout();
        }

        var described = await fixture.Driver.DescribeAsync("hx-restart", CancellationToken.None).WithTimeout();
        var restarted = await fixture.StartAsync("hx-restart");

        Assert.Equal(LoadBalancerState.Failed, described!.State);
        Assert.Contains("exited unexpectedly", described.Message);
        Assert.NotEqual(instance.ProcessId, restarted.ProcessId);
        Assert.Equal(instance.Url, restarted.Url);
        Assert.Equal((200, "web-1"), await fixture.GetAsync(restarted));
        Assert.Equal((200, "web-1"), await fixture.GetAsync(restarted, pin: "web-1"));
    }

    [Fact]
    public async Task EnsureRunningAsync_NewDriverAfterControlPlaneRestart_AdoptsRunningHaProxy()
    {
        await using var fixture = new ProxyFixture("haproxy");
        var backend = await fixture.BackendAsync("web-1", "127.0.0.92");
        var instance = await fixture.StartAsync("hx-adopt");
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();

        var adopted = await fixture.CreateDriver().EnsureRunningAsync(ProxyFixture.Definition("hx-adopt"), CancellationToken.None).WithTimeout();

        Assert.Equal(instance.ProcessId, adopted.ProcessId);
        Assert.Equal(instance.ProcessStartTime, adopted.ProcessStartTime);
        Assert.Equal((200, "web-1"), await fixture.GetAsync(adopted));
    }

    [Fact]
    public async Task EnsureRunningAsync_HaProxyNotInstalled_FailsTellingWhatToInstall()
    {
        using var root = new TemporaryDirectory("strata-hx");
        await using var provider = new ServiceCollection()
            .AddHaProxyLoadBalancer(o =>
            {
                o.RootPath = root.Path;
                o.HaProxyPath = "haproxy-not-installed";
            })
            .BuildServiceProvider();
        var driver = provider.GetRequiredService<ILoadBalancerDriverRegistry>().Get("haproxy");

        var instance = await driver.EnsureRunningAsync(ProxyFixture.Definition("hx-missing"), CancellationToken.None).WithTimeout();
        var described = await driver.DescribeAsync("hx-missing", CancellationToken.None).WithTimeout();

        Assert.Equal(LoadBalancerState.Failed, instance.State);
        Assert.Contains("apt-get install haproxy", instance.Message);
        Assert.Equal(LoadBalancerState.Failed, described!.State);
    }

    [Fact]
    public async Task StopAsync_RunningHaProxy_EndsProcess()
    {
        await using var fixture = new ProxyFixture("haproxy");
        var instance = await fixture.StartAsync("hx-stop");

        await fixture.Driver.StopAsync("hx-stop", CancellationToken.None).WithTimeout();

        Assert.NotEqual(instance.ProcessStartTime, ProcessIdentity.TryReadStartTime(instance.ProcessId));
        Assert.Null(await fixture.Driver.DescribeAsync("hx-stop", CancellationToken.None).WithTimeout());
    }
}
