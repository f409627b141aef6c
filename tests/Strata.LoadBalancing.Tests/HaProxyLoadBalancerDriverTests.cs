using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Strata.Common.Processes;
using Strata.LoadBalancing.HaProxy;
using Strata.LoadBalancing.Proxy;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>The HAProxy driver's lifecycle against a real haproxy.</summary>
[Trait("kind", "e2e")]
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

        Assert.Equal(LoadBalancerInstanceState.Failed, described!.State);
        Assert.Contains("exited unexpectedly", described.Message);
        Assert.NotEqual(instance.ProcessId, restarted.ProcessId);
        Assert.Equal(instance.Url, restarted.Url);
        Assert.Equal((200, "web-1"), await fixture.GetAsync(restarted));
        Assert.Equal((200, "web-1"), await fixture.GetAsync(restarted, pin: "web-1"));
    }

    [Fact]
    public async Task EnsureRunningAsync_NewLoadBalancer_ConfigAndStateOwnerOnly()
    {
        await using var fixture = new ProxyFixture("haproxy");

        await fixture.StartAsync("hx-modes");

        var folder = fixture.Root.Combine("haproxy", "hx-modes");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "haproxy.cfg")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "haproxy.state.json")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
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

        Assert.Equal(LoadBalancerInstanceState.Failed, instance.State);
        Assert.Contains("apt-get install haproxy", instance.Message);
        Assert.Equal(LoadBalancerInstanceState.Failed, described!.State);
    }

    [Fact]
    public async Task StopAsync_RunningHaProxy_EndsProcess()
    {
        await using var fixture = new ProxyFixture("haproxy");
        var instance = await fixture.StartAsync("hx-stop");

        await fixture.Driver.StopAsync("hx-stop", CancellationToken.None).WithTimeout();

        Assert.NotEqual(instance.ProcessStartTime, ProcessStat.StartTimeOf(instance.ProcessId));
        Assert.Null(await fixture.Driver.DescribeAsync("hx-stop", CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task SetMembersAsync_KeepAliveRequests_ReusesServerConnections()
    {
        await using var fixture = new ProxyFixture("haproxy");
        var backends = new[] { await fixture.BackendAsync("web-1", "127.0.0.93"), await fixture.BackendAsync("web-2", "127.0.0.94") };
        var instance = await fixture.StartAsync("hx-reuse");
        await fixture.Driver.SetMembersAsync(instance, [.. backends.Select(b => b.Member)], CancellationToken.None).WithTimeout();

        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(200, (await fixture.GetAsync(instance)).Status);
        }

        var counters = await ServerCountersAsync(fixture, instance);
        Assert.Equal(40, counters.Sum(c => c.Requests));
        Assert.True(counters.Sum(c => c.Reused) >= 30, $"reused {counters.Sum(c => c.Reused)} of 40 server connections");
        Assert.True(counters.Sum(c => c.Connects) <= 10, $"{counters.Sum(c => c.Connects)} new server connections for 40 requests");
    }

    [Fact]
    public async Task SetMembersAsync_SlotOfLeaverTakenByNewcomer_ReachesNewcomerOnly()
    {
        await using var fixture = new ProxyFixture("haproxy", haProxySlots: 2);
        var first = await fixture.BackendAsync("web-1", "127.0.0.95");
        var second = await fixture.BackendAsync("web-2", "127.0.0.96");
        var third = await fixture.BackendAsync("web-3", "127.0.0.97");
        var instance = await fixture.StartAsync("hx-slots");
        await fixture.Driver.SetMembersAsync(instance, [first.Member], CancellationToken.None).WithTimeout();
        Assert.Equal((200, "web-1"), await fixture.GetAsync(instance));

        // web-1 leaves idle, so its slot is freed at once; web-3 then takes that slot while connections to web-1 were pooled.
        await fixture.Driver.SetMembersAsync(instance, [second.Member], CancellationToken.None).WithTimeout();
        await fixture.Driver.SetMembersAsync(instance, [second.Member, third.Member], CancellationToken.None).WithTimeout();
        var answers = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            answers.Add((await fixture.GetAsync(instance)).Body);
        }

        Assert.Equal(5, answers.Count(a => a == "web-2"));
        Assert.Equal(5, answers.Count(a => a == "web-3"));
        Assert.Equal((200, "web-3"), await fixture.GetAsync(instance, pin: "web-3"));
        Assert.Equal(421, (await fixture.GetAsync(instance, pin: "web-1")).Status);
    }

    [Fact]
    public async Task SetMembersAsync_MoreMembersThanSlots_ReloadsWithMoreSlotsOnTheSameUrl()
    {
        await using var fixture = new ProxyFixture("haproxy", haProxySlots: 2);
        var backends = new List<TestBackend>();
        for (var i = 1; i <= 3; i++)
        {
            backends.Add(await fixture.BackendAsync($"web-{i}", $"127.0.0.{97 + i}"));
        }

        var instance = await fixture.StartAsync("hx-grow");
        await fixture.Driver.SetMembersAsync(instance, [backends[0].Member, backends[1].Member], CancellationToken.None).WithTimeout();

        var statuses = await fixture.Driver.SetMembersAsync(instance, [.. backends.Select(b => b.Member)], CancellationToken.None).WithTimeout();
        var reloaded = await fixture.Driver.DescribeAsync("hx-grow", CancellationToken.None).WithTimeout();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var answers = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            answers.Add((await ProxyFixture.GetAsync(client, instance)).Body);
        }

        Assert.Equal(3, statuses.Count(s => s.State == MemberState.Active));
        Assert.Equal(instance.Url, reloaded!.Url);
        Assert.NotEqual(instance.ProcessId, reloaded.ProcessId);
        var config = await File.ReadAllTextAsync(fixture.Root.Combine("haproxy", "hx-grow", "haproxy.cfg"));
        Assert.Contains("server-template s 1-4 ", config);
        Assert.Contains("\n    nbthread 1\n", config);
        Assert.All(backends, b => Assert.Equal(3, answers.Count(a => a == b.Name)));
    }

    /// <summary>
    /// The control plane reads statistics while it sets members. A reading that took the driver's state before it
    /// waited for a change of members wrote that old state back, and the members set meanwhile vanished from every
    /// later reading (though haproxy still served them): a tier then saw no request rate and never scaled.
    /// </summary>
    [Fact]
    public async Task GetStatsAsync_WhileMembersAreSet_NeverLosesThem()
    {
        await using var fixture = new ProxyFixture("haproxy");
        var instance = await fixture.StartAsync("hx-stats-race");
        var backends = new List<Member>();
        for (var i = 1; i <= 3; i++)
        {
            backends.Add((await fixture.BackendAsync($"web-{i}", $"127.0.0.{120 + i}")).Member);
        }

        for (var round = 0; round < 12; round++)
        {
            var members = backends.Take((round % 3) + 1).ToList();
            // The change takes the driver first; the readings start while it is under way and wait for it.
            var setting = fixture.Driver.SetMembersAsync(instance, members, CancellationToken.None);
            var readings = Enumerable.Range(0, 4).Select(_ => fixture.Driver.GetStatsAsync(instance, CancellationToken.None)).ToList();
            await setting.WithTimeout();
            await Task.WhenAll(readings).WithTimeout();

            var after = await fixture.Driver.GetStatsAsync(instance, CancellationToken.None).WithTimeout();
            Assert.Equal(members.Select(m => m.Name).Order(), after!.Members.Select(m => m.Name).Order());
        }
    }

    /// <summary>
    /// The control plane adds a booting server as a standby member before it listens, and HAProxy checks a server as soon
    /// as it leaves maintenance, with its check health reset to <c>rise</c>: that one refused check marked the member
    /// down, and once it joined as the tier's only server HAProxy answered 503 until two more checks passed.
    /// </summary>
    [Fact]
    public async Task SetMembersAsync_StandbyRefusedHaProxysFirstCheckThenServes_AnswersAtOnceWhenActive()
    {
        await using var fixture = new ProxyFixture("haproxy");
        const string Address = "127.0.0.110";
        var port = LoopbackPorts.GetFree(Address);
        var standby = new Member { Name = "web-1", Address = Address, Port = port, State = MemberState.Standby };
        var instance = await fixture.StartAsync("hx-standby");
        await fixture.Driver.SetMembersAsync(instance, [standby], CancellationToken.None).WithTimeout();
        await Eventually.WaitAsync(
            async () => (await SlotAsync(fixture, instance, $"{Address}:{port}")) is { } slot && slot["check_status"] == "L4CON",
            "haproxy's first check of the standby member to be refused");

        var backend = await fixture.BackendAsync("web-1", Address, port);
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();

        Assert.Equal((200, "web-1"), await fixture.GetAsync(instance));
        // "UP", or "UP 999999/1000000" when the refused check came after the slot was marked up: one step of a million.
        Assert.StartsWith("UP", (await SlotAsync(fixture, instance, $"{Address}:{port}"))!["status"], StringComparison.Ordinal);
    }

    /// <summary>The <c>show stat</c> row of the server slot pointed at <paramref name="endpoint"/>, by column name.</summary>
    private static async Task<Dictionary<string, string>?> SlotAsync(ProxyFixture fixture, LoadBalancerInstance instance, string endpoint)
    {
        var api = new RuntimeApi(fixture.Root.Combine("haproxy", instance.Id, "admin.sock"), TimeSpan.FromSeconds(5));
        var lines = (await api.SendAsync("show stat", CancellationToken.None).WithTimeout()).Split('\n');
        var header = lines[0].TrimStart('#', ' ').Split(',');
        return lines.Skip(1).Select(l => l.Split(','))
            .Where(cells => cells.Length == header.Length && cells[0] == "members" && cells[Array.IndexOf(header, "addr")] == endpoint)
            .Select(cells => header.Zip(cells).ToDictionary(p => p.First, p => p.Second))
            .FirstOrDefault();
    }

    /// <summary>Requests, new connections and reused connections of every server slot in use, from <c>show stat</c>.</summary>
    private static async Task<List<(long Requests, long Connects, long Reused)>> ServerCountersAsync(ProxyFixture fixture, LoadBalancerInstance instance)
    {
        var api = new RuntimeApi(fixture.Root.Combine("haproxy", instance.Id, "admin.sock"), TimeSpan.FromSeconds(5));
        var lines = (await api.SendAsync("show stat", CancellationToken.None).WithTimeout()).Split('\n');
        var header = lines[0].TrimStart('#', ' ').Split(',');
        long Column(string[] cells, string name) => long.TryParse(cells[Array.IndexOf(header, name)], CultureInfo.InvariantCulture, out var value) ? value : 0;
        return [.. lines.Skip(1).Select(l => l.Split(','))
            .Where(cells => cells.Length == header.Length && cells[0] == "members" && cells[1] is not ("BACKEND" or "FRONTEND") && Column(cells, "stot") > 0)
            .Select(cells => (Column(cells, "stot"), Column(cells, "connect"), Column(cells, "reuse")))];
    }
}
