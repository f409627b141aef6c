using System.Net;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// What a client cannot do through either driver: pin without a valid signed pin, reach a server out of rotation,
/// spoof forwarding headers, send an oversized body, or take a server out of rotation with application errors.
/// </summary>
public abstract partial class LoadBalancerContractTests
{
    public static TheoryData<string> RefusedPins => new()
    {
        "web-1",
        "hardened-1.9999999999.r.0000000000000000000000000000000000000000000000000000000000000000",
        "hardened-1.9999999999.a.zz",
        "hardened-1.1.r",
        "../../etc/passwd",
    };

    [Theory]
    [MemberData(nameof(RefusedPins))]
    public async Task Pinning_MalformedOrForgedPin_Returns421NamingNoServer(string value)
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "pin-forged", BalancingAlgorithm.RoundRobin, 2);

        var (status, body) = await ProxyFixture.GetWithPinAsync(fixture.Client, instance, "/", value);

        Assert.Equal(421, status);
        Assert.Equal("the X-Strata-Server pin is not valid or has expired", body);
        Assert.All(backends, b => Assert.Equal(0, b.Requests));
    }

    [Fact]
    public async Task Pinning_PinSignedWithAnotherKeyOrExpired_Returns421()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "pin-expired", BalancingAlgorithm.RoundRobin, 2);
        var target = backends[0].Name;

        var otherKey = await ProxyFixture.GetWithPinAsync(fixture.Client, instance, "/", ProxyFixture.Pin(target, key: Pinning.ServerPin.NewKey()));
        var expired = await ProxyFixture.GetWithPinAsync(fixture.Client, instance, "/", ProxyFixture.Pin(target, ttl: TimeSpan.FromSeconds(-5)));
        var widened = ProxyFixture.Pin(target).Replace(".r.", ".a.", StringComparison.Ordinal);
        var tampered = await ProxyFixture.GetWithPinAsync(fixture.Client, instance, "/", widened);

        Assert.Equal(421, otherKey.Status);
        Assert.Equal(421, expired.Status);
        Assert.Equal(421, tampered.Status);
        Assert.All(backends, b => Assert.Equal(0, b.Requests));
    }

    [Fact]
    public async Task Pinning_ValidPin_IsStrippedBeforeForwardingAndOtherCookiesKept()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "pin-strip", BalancingAlgorithm.RoundRobin, 2);
        var pin = ProxyFixture.Pin(backends[1].Name);

        var byHeader = await ProxyFixture.GetWithPinAsync(fixture.Client, instance, "/headers", pin);
        using var request = new HttpRequestMessage(HttpMethod.Get, instance.Url + "/headers");
        request.Headers.Add("Cookie", $"theme=dark; X-Strata-Server={pin}; lang=en");
        using var response = await fixture.Client.SendAsync(request).WithTimeout();
        var byCookie = await response.Content.ReadAsStringAsync().WithTimeout();

        Assert.Equal(200, byHeader.Status);
        Assert.DoesNotContain(pin, byHeader.Body);
        Assert.DoesNotContain("X-Strata-Server", byHeader.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(pin, byCookie);
        Assert.Contains("theme=dark", byCookie);
        Assert.Contains("lang=en", byCookie);
        Assert.Equal(2, backends[1].Requests);
    }

    [Theory]
    [InlineData(MemberState.Standby)]
    [InlineData(MemberState.Draining)]
    public async Task Pinning_ServerOutOfRotation_ReachedOnlyByAnyStatePin(MemberState state)
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, $"pin-{state.ToString().ToLowerInvariant()}", BalancingAlgorithm.RoundRobin, 2);
        var outside = backends[1];
        // A draining member without requests in flight leaves at once: a slow one keeps it draining for the test.
        var slow = state == MemberState.Draining ? fixture.GetAsync(instance, "/slow", pin: outside.Name) : null;
        await Eventually.WaitAsync(() => slow is null || outside.SlowInFlight == 1, "the slow request to reach the member");
        await fixture.Driver.SetMembersAsync(instance, [backends[0].Member, outside.Member with { State = state }], CancellationToken.None).WithTimeout();

        var rotationPin = await fixture.GetAsync(instance, pin: outside.Name);
        var anyStatePin = await ProxyFixture.GetWithPinAsync(fixture.Client, instance, "/", ProxyFixture.Pin(outside.Name, anyState: true));
        var balanced = await GetManyAsync(fixture, instance, 6);
        outside.ReleaseSlowRequests();

        Assert.Equal(421, rotationPin.Status);
        Assert.Equal((200, outside.Name), anyStatePin);
        Assert.All(balanced, a => Assert.Equal(backends[0].Name, a));
        if (slow is not null)
        {
            Assert.Equal(200, (await slow.WithTimeout()).Status);
        }
    }

    [Fact]
    public async Task ForwardedHeaders_SentByClient_AreOverwritten()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, _) = await StartWithBackendsAsync(fixture, "xff", BalancingAlgorithm.RoundRobin, 1);
        using var request = new HttpRequestMessage(HttpMethod.Get, instance.Url + "/headers");
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "evil.example");

        using var response = await fixture.Client.SendAsync(request).WithTimeout();
        var headers = await response.Content.ReadAsStringAsync().WithTimeout();

        Assert.DoesNotContain("6.6.6.6", headers);
        Assert.DoesNotContain("evil.example", headers);
        Assert.Contains("X-Forwarded-For: 127.0.0.1\n", headers + "\n", StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Forwarded-Proto: http\n", headers + "\n", StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"X-Forwarded-Host: {new Uri(instance.Url!).Authority}", headers, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PassiveHealth_ApplicationErrors500_NeverEjectTheServer()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "app500", BalancingAlgorithm.RoundRobin, 2);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(500, (await fixture.GetAsync(instance, "/status/500")).Status);
        }

        var answers = await GetManyAsync(fixture, instance, 10);
        var stats = await fixture.Driver.GetStatsAsync(instance, CancellationToken.None).WithTimeout();

        Assert.All(backends, b => Assert.Equal(5, answers.Count(a => a == b.Name)));
        Assert.All(stats!.Members, m => Assert.False(m.Ejected, $"{m.Name} was ejected"));
    }

    [Fact]
    public async Task Limits_BodyOverTheLimit_Refused413WithoutReachingAServer()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var backend = await fixture.BackendAsync($"{DriverName}-limit-1", "127.0.0.62");
        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-limit") with { MaxRequestBodyBytes = 1024 });
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();

        using var small = await fixture.Client.PostAsync(instance.Url + "/echo", new ByteArrayContent(new byte[1024])).WithTimeout();
        using var large = await fixture.Client.PostAsync(instance.Url + "/echo", new ByteArrayContent(new byte[1025])).WithTimeout();

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Equal(1, backend.Requests);
    }

    [Fact]
    public async Task Sticky_UnderTls_CookieIsSecure()
    {
        await using var fixture = new ProxyFixture(DriverName);
        using var certificate = TestCertificate.Create(fixture.Root.Path, "sticky");
        var backend = await fixture.BackendAsync($"{DriverName}-secure-1", "127.0.0.63");
        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-secure") with { Tls = certificate.Settings, Sticky = true });
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        var client = fixture.CreateClient(trusted: certificate);

        using var response = await client.GetAsync(instance.Url + "/").WithTimeout();

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"STRATA_STICKY={backend.Name};", cookie);
        Assert.Contains("; Secure", cookie);
        Assert.Contains("HttpOnly", cookie);
    }
}
