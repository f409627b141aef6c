using System.Net;
using System.Net.Sockets;
using System.Text;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// The built-in proxy's own limits and passive-health rules, which HAProxy gives through its configuration: a
/// response-header timeout, a connection limit, and failures counted only when they are the server's.
/// </summary>
[Trait("kind", "e2e")]
public sealed class ProxyLimitsTests
{
    [Fact]
    public async Task PassiveHealth_ClientBreaksOffItsBody_DoesNotCountAgainstTheServer()
    {
        await using var fixture = new ProxyFixture();
        var backend = await fixture.BackendAsync("web-1", "127.0.0.71");
        var instance = await fixture.StartAsync("hello-front-broken-body");
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        var endpoint = new Uri(instance.Url!);

        for (var i = 0; i < 5; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Parse(endpoint.Host), endpoint.Port).WithTimeout();
            var head = $"POST /echo HTTP/1.1\r\nHost: {endpoint.Authority}\r\nContent-Length: 100000\r\n\r\n" + new string('x', 10);
            await socket.SendAsync(Encoding.ASCII.GetBytes(head)).WithTimeout();
            await Eventually.WaitAsync(async () => (await MemberAsync(fixture, instance)).InFlight == 1, "the proxy to forward the request");
            socket.Close(0);
            var finished = i + 1;
            await Eventually.WaitAsync(async () => (await MemberAsync(fixture, instance)).Requests == finished, "the proxy to finish the request");
        }

        var member = await MemberAsync(fixture, instance);

        Assert.True(member.Errors == 0, $"{member.Errors} broken-off requests counted against the server\n{fixture.LogTail()}");
        Assert.False(member.Ejected);
    }

    private static async Task<MemberStats> MemberAsync(ProxyFixture fixture, LoadBalancerInstance instance) =>
        (await fixture.Driver.GetStatsAsync(instance, CancellationToken.None).WithTimeout())!.Members.Single();

    [Theory]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task PassiveHealth_ServerAnswersUnavailable_EjectsIt(int status)
    {
        await using var fixture = new ProxyFixture();
        var failing = await fixture.BackendAsync("web-1", "127.0.0.72");
        var healthy = await fixture.BackendAsync("web-2", "127.0.0.73");
        var instance = await fixture.StartAsync("hello-front-unavailable");
        await fixture.Driver.SetMembersAsync(instance, [failing.Member, healthy.Member], CancellationToken.None).WithTimeout();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(status, (await fixture.GetAsync(instance, $"/status/{status}", pin: "web-1")).Status);
        }

        // The proxy counts an exchange once it has ended on its side, which may be just after the client read the
        // whole answer: the third failure ejects the member a moment after the third answer arrives.
        await Eventually.WaitAsync(
            async () => (await fixture.Driver.GetStatsAsync(instance, CancellationToken.None).WithTimeout())!.Members.Single(m => m.Name == "web-1").Ejected,
            "web-1 to be ejected after its third failure");
        Assert.Equal((200, "web-2"), await fixture.GetAsync(instance));
        Assert.Equal((200, "web-2"), await fixture.GetAsync(instance));
    }

    [Fact]
    public async Task ResponseHeaderTimeout_ServerSilent_Answers504WithoutDetails()
    {
        await using var fixture = new ProxyFixture();
        var backend = await fixture.BackendAsync("web-1", "127.0.0.74");
        var instance = await fixture.StartAsync(ProxyFixture.Definition("hello-front-header-timeout") with { ResponseHeaderTimeout = TimeSpan.FromMilliseconds(500) });
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();

        var (status, body) = await fixture.GetAsync(instance, "/slow");
        backend.ReleaseSlowRequests();

        Assert.Equal(504, status);
        Assert.Equal("the server did not answer in time", body);
        var member = (await fixture.Driver.GetStatsAsync(instance, CancellationToken.None).WithTimeout())!.Members.Single();
        Assert.Equal(1, member.Errors);
    }

    [Fact]
    public async Task MaxConnections_LimitReached_FurtherConnectionsAreRefusedUntilOneCloses()
    {
        await using var fixture = new ProxyFixture();
        var backend = await fixture.BackendAsync("web-1", "127.0.0.75");
        var instance = await fixture.StartAsync(ProxyFixture.Definition("hello-front-max-connections") with { MaxConnections = 1 });
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        var holder = fixture.CreateClient();
        var second = fixture.CreateClient();

        var slow = ProxyFixture.GetAsync(holder, instance, "/slow");
        await Eventually.WaitAsync(() => backend.SlowInFlight == 1, "the slow request to hold the only connection");
        var refused = await Record.ExceptionAsync(() => ProxyFixture.GetAsync(second, instance));
        backend.ReleaseSlowRequests();
        await slow.WithTimeout();
        holder.Dispose();

        Assert.IsType<HttpRequestException>(refused);
        await Eventually.WaitAsync(async () => (await ProxyFixture.GetAsync(fixture.CreateClient(), instance)).Status == 200, "a connection to be accepted again");
    }

    [Fact]
    public async Task Forward_ServerGone_502NamesNoServerNorAddress()
    {
        await using var fixture = new ProxyFixture();
        var backend = await fixture.BackendAsync("web-1", "127.0.0.76");
        var instance = await fixture.StartAsync("hello-front-broken-server");
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        await backend.DisposeAsync();

        using var response = await fixture.Client.PostAsync(instance.Url + "/echo", new StringContent("x")).WithTimeout();
        var body = await response.Content.ReadAsStringAsync().WithTimeout();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.DoesNotContain("127.0.0.76", body);
        Assert.DoesNotContain("refused", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("web-1", body);
    }
}
