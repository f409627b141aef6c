using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Strata.Common.Processes;
using Strata.LoadBalancing.Proxy;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>The driver's lifecycle with the proxy as a real separate process.</summary>
[Trait("kind", "e2e")]
public sealed class BuiltInLoadBalancerDriverTests
{
    [Fact]
    public async Task EnsureRunningAsync_NoMembers_StartsSeparateProcessAnswering503()
    {
        await using var fixture = new ProxyFixture();

        var instance = await fixture.StartAsync("hello-front-a1b2c3");
        var (status, body) = await fixture.GetAsync(instance);

        Assert.NotEqual(Environment.ProcessId, instance.ProcessId);
        Assert.NotNull(ProcessStat.StartTimeOf(instance.ProcessId));
        Assert.StartsWith("http://127.0.0.1:", instance.Url);
        Assert.Equal(503, status);
        Assert.Equal("no healthy servers", body);
    }

    [Fact]
    public async Task EnsureRunningAsync_CalledTwice_KeepsSameProcess()
    {
        await using var fixture = new ProxyFixture();
        var first = await fixture.StartAsync("hello-front-twice");

        var second = await fixture.StartAsync("hello-front-twice");

        Assert.Equal(first.ProcessId, second.ProcessId);
        Assert.Equal(first.Url, second.Url);
    }

    [Fact]
    public async Task EnsureRunningAsync_NewDriverAfterControlPlaneRestart_AdoptsRunningProxy()
    {
        await using var fixture = new ProxyFixture();
        var backend = await fixture.BackendAsync("web-1", "127.0.0.21");
        var instance = await fixture.StartAsync("hello-front-adopt");
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();

        var restarted = fixture.CreateDriver();
        var adopted = await restarted.EnsureRunningAsync(ProxyFixture.Definition("hello-front-adopt"), CancellationToken.None).WithTimeout();
        var described = await restarted.DescribeAsync("hello-front-adopt", CancellationToken.None).WithTimeout();

        Assert.Equal(LoadBalancerInstanceState.Running, adopted.State);
        Assert.Equal(instance.ProcessId, adopted.ProcessId);
        Assert.Equal(instance.ProcessStartTime, described!.ProcessStartTime);
        Assert.Equal((200, "web-1"), await fixture.GetAsync(adopted));
    }

    [Fact]
    public async Task EnsureRunningAsync_DefinitionChanged_RestartsWithPersistedMembers()
    {
        await using var fixture = new ProxyFixture();
        var backend = await fixture.BackendAsync("web-1", "127.0.0.22");
        var instance = await fixture.StartAsync("hello-front-change");
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();

        var changed = await fixture.StartAsync(ProxyFixture.Definition("hello-front-change") with { Algorithm = BalancingAlgorithm.LeastConnections });

        Assert.NotEqual(instance.ProcessId, changed.ProcessId);
        Assert.NotEqual(instance.ProcessStartTime, ProcessStat.StartTimeOf(instance.ProcessId));
        Assert.Equal((200, "web-1"), await fixture.GetAsync(changed));
    }

    [Fact]
    public async Task EnsureRunningAsync_PortInUse_ReportsFailedWithClearMessage()
    {
        await using var fixture = new ProxyFixture();
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        var instance = await fixture.Driver.EnsureRunningAsync(ProxyFixture.Definition("hello-front-busy", port), CancellationToken.None).WithTimeout();
        var described = await fixture.Driver.DescribeAsync("hello-front-busy", CancellationToken.None).WithTimeout();

        Assert.Equal(LoadBalancerInstanceState.Failed, instance.State);
        Assert.Equal($"port {port} on 127.0.0.1 is already in use", instance.Message);
        Assert.Equal(LoadBalancerInstanceState.Failed, described!.State);
        Assert.Contains("already in use", await File.ReadAllTextAsync(fixture.Root.Combine("hello-front-busy", "proxy.log")));
    }

    [Fact]
    public async Task EnsureRunningAsync_InvalidDefinition_ListsEveryError()
    {
        await using var fixture = new ProxyFixture();
        var definition = ProxyFixture.Definition("Bad Id") with { ListenHost = "10.0.0.1", ListenPort = 70000 };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Driver.EnsureRunningAsync(definition, CancellationToken.None)).WithTimeout();

        Assert.Contains("lowercase letters", error.Message);
        Assert.Contains("must be a loopback IP address", error.Message);
        Assert.Contains("between 0 and 65535", error.Message);
    }

    [Fact]
    public async Task StopAsync_RunningProxy_EndsProcessAndForgetsIt()
    {
        await using var fixture = new ProxyFixture();
        var instance = await fixture.StartAsync("hello-front-stop");

        await fixture.Driver.StopAsync("hello-front-stop", CancellationToken.None).WithTimeout();
        var described = await fixture.Driver.DescribeAsync("hello-front-stop", CancellationToken.None).WithTimeout();

        Assert.NotEqual(instance.ProcessStartTime, ProcessStat.StartTimeOf(instance.ProcessId));
        Assert.Null(described);
        await Assert.ThrowsAsync<HttpRequestException>(() => fixture.Client.GetAsync(instance.Url)).WithTimeout();
    }

    [Fact]
    public async Task DescribeAsync_UnknownId_ReturnsNull()
    {
        await using var fixture = new ProxyFixture();

        Assert.Null(await fixture.Driver.DescribeAsync("never-started", CancellationToken.None).WithTimeout());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-the-token")]
    [InlineData("Basic c3RyYXRhOnN0cmF0YQ==")]
    public async Task AdminApi_WithoutValidToken_Returns401(string? authorization)
    {
        await using var fixture = new ProxyFixture();
        var instance = await fixture.StartAsync("hello-front-auth");

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/members"), (HttpMethod.Put, "/members"), (HttpMethod.Get, "/stats") })
        {
            using var request = new HttpRequestMessage(method, instance.AdminUrl + path);
            if (authorization is not null)
            {
                request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
            }

            using var response = await fixture.Client.SendAsync(request).WithTimeout();
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task Config_HoldsToken_IsReadableByOwnerOnly()
    {
        await using var fixture = new ProxyFixture();
        await fixture.StartAsync("hello-front-mode");

        var mode = File.GetUnixFileMode(fixture.Root.Combine("hello-front-mode", "proxy.json"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task SetMembersAsync_InvalidMembers_ListsEveryError()
    {
        await using var fixture = new ProxyFixture();
        var instance = await fixture.StartAsync("hello-front-invalid");
        Member[] members =
        [
            new() { Name = "web-1", Address = "not-an-ip", Port = 80 },
            new() { Name = "web-1", Address = "127.0.0.1", Port = 0 },
        ];

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => fixture.Driver.SetMembersAsync(instance, members, CancellationToken.None)).WithTimeout();

        Assert.Contains("'not-an-ip' is not an IP address", error.Message);
        Assert.Contains("listed twice", error.Message);
        Assert.Contains("port 0 must be between 1 and 65535", error.Message);
    }

    [Fact]
    public async Task StopAsync_RequestInFlight_LetsItFinishBeforeExit()
    {
        await using var fixture = new ProxyFixture();
        var backend = await fixture.BackendAsync("web-1", "127.0.0.23");
        var instance = await fixture.StartAsync("hello-front-graceful");
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        var slow = fixture.GetAsync(instance, "/slow");
        await Eventually.WaitAsync(() => backend.SlowInFlight == 1, "the slow request to reach web-1");

        var stopping = fixture.Driver.StopAsync(instance.Id, CancellationToken.None);
        await Eventually.WaitAsync(
            async () =>
            {
                try
                {
                    using var probe = new System.Net.Sockets.TcpClient();
                    await probe.ConnectAsync(new Uri(instance.Url!).Host, new Uri(instance.Url!).Port);
                    return false;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    return true;
                }
            },
            "the stopping proxy to refuse new connections");
        Assert.False(stopping.IsCompleted);
        backend.ReleaseSlowRequests();

        Assert.Equal((200, "web-1-slow"), await slow.WithTimeout());
        await stopping.WithTimeout();
        Assert.NotEqual(instance.ProcessStartTime, ProcessStat.StartTimeOf(instance.ProcessId));
    }

    [Theory]
    [InlineData(true, 1, "1", "1")]
    [InlineData(true, 0, "1", null)]
    [InlineData(false, 0, null, null)]
    public async Task EnsureRunningAsync_SocketOptions_DecideProxyRuntimeAndItForwards(bool inline, int threads, string? inlineVariable, string? threadsVariable)
    {
        await using var fixture = new ProxyFixture(builtIn: o =>
        {
            o.InlineSocketCompletions = inline;
            o.SocketEventThreads = threads;
        });
        var backend = await fixture.BackendAsync("web-1", "127.0.0.24");
        var instance = await fixture.StartAsync("hello-front-sockets");
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();

        Assert.Equal((200, "web-1"), await fixture.GetAsync(instance));
        Assert.Equal(inlineVariable, EnvironmentVariable(instance.ProcessId, "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"));
        Assert.Equal(threadsVariable, EnvironmentVariable(instance.ProcessId, "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"));
        if (inline)
        {
            // The runtime honours them: its socket event threads are there in the number asked for.
            var socketThreads = Directory.GetDirectories($"/proc/{instance.ProcessId}/task")
                .Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == ".NET Sockets");
            Assert.Equal(threads > 0 ? threads : Environment.ProcessorCount, socketThreads);
        }
    }

    private static string? EnvironmentVariable(int processId, string name) =>
        ProcessEnvironment.Values(processId, name)?[0];
}
