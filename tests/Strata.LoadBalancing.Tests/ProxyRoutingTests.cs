using System.Net;
using System.Security.Cryptography;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>Requests through the proxy process to real backends on their own loopback addresses.</summary>
[Trait("kind", "e2e")]
public sealed class ProxyRoutingTests
{
    [Fact]
    public async Task Forward_ThreeActiveMembers_SpreadsRoundRobin()
    {
        await using var fixture = new ProxyFixture();
        var backends = new[]
        {
            await fixture.BackendAsync("web-1", "127.0.0.31"),
            await fixture.BackendAsync("web-2", "127.0.0.32"),
            await fixture.BackendAsync("web-3", "127.0.0.33"),
        };
        var instance = await fixture.StartAsync("hello-front-rr");
        await fixture.Driver.SetMembersAsync(instance, [.. backends.Select(b => b.Member)], CancellationToken.None).WithTimeout();

        var answers = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            var (status, body) = await fixture.GetAsync(instance);
            Assert.Equal(200, status);
            answers.Add(body);
        }

        Assert.All(backends, b => Assert.Equal(10, answers.Count(a => a == b.Name)));
        Assert.All(answers.Chunk(3), chunk => Assert.Equal(3, chunk.Distinct().Count()));
    }

    [Fact]
    public async Task SetMembersAsync_NewMembership_TakesEffectWithoutRestart()
    {
        await using var fixture = new ProxyFixture();
        var first = await fixture.BackendAsync("web-1", "127.0.0.34");
        var second = await fixture.BackendAsync("web-2", "127.0.0.35");
        var instance = await fixture.StartAsync("hello-front-swap");
        await fixture.Driver.SetMembersAsync(instance, [first.Member], CancellationToken.None).WithTimeout();
        Assert.Equal((200, "web-1"), await fixture.GetAsync(instance));

        await fixture.Driver.SetMembersAsync(instance, [second.Member], CancellationToken.None).WithTimeout();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal((200, "web-2"), await fixture.GetAsync(instance));
        }

        var described = await fixture.Driver.DescribeAsync(instance.Id, CancellationToken.None).WithTimeout();
        Assert.Equal(instance.ProcessId, described!.ProcessId);
    }

    [Fact]
    public async Task SetMembersAsync_RemovedMemberWithRequestInFlight_DrainsThenLeaves()
    {
        await using var fixture = new ProxyFixture();
        var leaving = await fixture.BackendAsync("web-1", "127.0.0.36");
        var staying = await fixture.BackendAsync("web-2", "127.0.0.37");
        var instance = await fixture.StartAsync("hello-front-drain");
        await fixture.Driver.SetMembersAsync(instance, [leaving.Member, staying.Member], CancellationToken.None).WithTimeout();
        var slow = fixture.GetAsync(instance, "/slow", pin: "web-1");
        await Eventually.WaitAsync(() => leaving.SlowInFlight == 1, "the slow request to reach web-1");

        var applied = await fixture.Driver.SetMembersAsync(instance, [staying.Member], CancellationToken.None).WithTimeout();

        Assert.Contains(applied, m => m is { Name: "web-1", State: MemberState.Draining, InFlight: 1 });
        var before = leaving.Requests;
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal((200, "web-2"), await fixture.GetAsync(instance));
        }

        Assert.Equal(before, leaving.Requests);
        Assert.False(slow.IsCompleted);
        leaving.ReleaseSlowRequests();
        Assert.Equal((200, "web-1-slow"), await slow.WithTimeout());
        Assert.True(await fixture.Driver.WaitUntilDrainedAsync(instance, "web-1", TimeSpan.FromSeconds(10), TimeProvider.System, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task SetMembersAsync_EmptyMembership_Returns503()
    {
        await using var fixture = new ProxyFixture();
        var backend = await fixture.BackendAsync("web-1", "127.0.0.38");
        var instance = await fixture.StartAsync("hello-front-empty");
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();

        await fixture.Driver.SetMembersAsync(instance, [], CancellationToken.None).WithTimeout();

        Assert.Equal((503, "no healthy servers"), await fixture.GetAsync(instance));
        var stats = await fixture.Driver.GetStatsAsync(instance, CancellationToken.None).WithTimeout();
        Assert.Equal(1, stats!.NoMemberResponses);
    }

    [Fact]
    public async Task Forward_MemberRefusesConnections_RetriesIdempotentRequestOnNextMember()
    {
        await using var fixture = new ProxyFixture();
        var alive = await fixture.BackendAsync("web-2", "127.0.0.40");
        var refusing = new Member { Name = "web-1", Address = "127.0.0.39", Port = LoopbackPorts.GetFree("127.0.0.39") };
        var instance = await fixture.StartAsync("hello-front-retry");
        await fixture.Driver.SetMembersAsync(instance, [refusing, alive.Member], CancellationToken.None).WithTimeout();

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal((200, "web-2"), await fixture.GetAsync(instance));
        }

        var stats = await fixture.Driver.GetStatsAsync(instance, CancellationToken.None).WithTimeout();
        var dead = Assert.Single(stats!.Members, m => m.Name == "web-1");
        Assert.Equal(3, dead.Retried);
        Assert.Equal(3, dead.Errors);
        Assert.Equal(6, Assert.Single(stats.Members, m => m.Name == "web-2").Requests);
    }

    [Fact]
    public async Task Forward_NonIdempotentRequestToRefusingMember_Returns502()
    {
        await using var fixture = new ProxyFixture();
        var alive = await fixture.BackendAsync("web-2", "127.0.0.42");
        var refusing = new Member { Name = "web-1", Address = "127.0.0.41", Port = LoopbackPorts.GetFree("127.0.0.41") };
        var instance = await fixture.StartAsync("hello-front-post");
        await fixture.Driver.SetMembersAsync(instance, [refusing, alive.Member], CancellationToken.None).WithTimeout();

        using var response = await fixture.Client.PostAsync(instance.Url + "/echo", new StringContent("x")).WithTimeout();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("web-1 is unreachable", await response.Content.ReadAsStringAsync().WithTimeout());
    }

    [Fact]
    public async Task Forward_PinnedToServer_GoesThereOrExplainsUnknownName()
    {
        await using var fixture = new ProxyFixture();
        var first = await fixture.BackendAsync("web-1", "127.0.0.43");
        var second = await fixture.BackendAsync("web-2", "127.0.0.44");
        var instance = await fixture.StartAsync("hello-front-pin");
        await fixture.Driver.SetMembersAsync(instance, [first.Member, second.Member], CancellationToken.None).WithTimeout();

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal((200, "web-2"), await fixture.GetAsync(instance, pin: "web-2"));
        }

        using var cookieRequest = new HttpRequestMessage(HttpMethod.Get, instance.Url);
        cookieRequest.Headers.Add("Cookie", "theme=dark; X-Strata-Server=web-1");
        using var cookieResponse = await fixture.Client.SendAsync(cookieRequest).WithTimeout();
        Assert.Equal("web-1", await cookieResponse.Content.ReadAsStringAsync().WithTimeout());

        var (status, body) = await fixture.GetAsync(instance, pin: "web-9");
        Assert.Equal(421, status);
        Assert.Contains("'web-9'", body);
        Assert.Contains("web-1, web-2", body);
    }

    [Fact]
    public async Task Forward_LargeBodyAndHeaders_StreamsBothWaysAndAddsForwardedHeaders()
    {
        await using var fixture = new ProxyFixture();
        var backend = await fixture.BackendAsync("web-1", "127.0.0.45");
        var instance = await fixture.StartAsync("hello-front-body");
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        var payload = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);

        using var echoed = await fixture.Client.PostAsync(instance.Url + "/echo", new ByteArrayContent(payload)).WithTimeout();
        var returned = await echoed.Content.ReadAsByteArrayAsync().WithTimeout();
        using var request = new HttpRequestMessage(HttpMethod.Get, instance.Url + "/headers");
        request.Headers.Add("X-Custom", "kept");
        request.Headers.Add("Keep-Alive", "timeout=5");
        using var response = await fixture.Client.SendAsync(request).WithTimeout();
        var headers = await response.Content.ReadAsStringAsync().WithTimeout();

        Assert.Equal(HttpStatusCode.OK, echoed.StatusCode);
        Assert.True(payload.AsSpan().SequenceEqual(returned), "the echoed body differs");
        Assert.Contains("X-Custom: kept", headers);
        Assert.Contains("X-Forwarded-For: 127.0.0.1", headers);
        Assert.Contains("X-Forwarded-Proto: http", headers);
        Assert.Contains($"X-Forwarded-Host: {new Uri(instance.Url!).Authority}", headers);
        Assert.DoesNotContain("Keep-Alive", headers);
    }
}
