using System.Net;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>The guarantees every driver gives, run against the built-in proxy and against real HAProxy alike.</summary>
public abstract partial class LoadBalancerContractTests
{
    protected abstract string DriverName { get; }

    [Fact]
    public async Task SetMembersAsync_ThreeMembersRoundRobin_SpreadsEvenly()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "rr", BalancingAlgorithm.RoundRobin, 3);

        var answers = await GetManyAsync(fixture, instance, 30);

        foreach (var backend in backends)
        {
            Assert.Equal(10, answers.Count(a => a == backend.Name));
        }
    }

    [Fact]
    public async Task SetMembersAsync_MemberLeftOut_GetsNoNewRequests()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "leave", BalancingAlgorithm.RoundRobin, 3);

        var statuses = await fixture.Driver.SetMembersAsync(instance, [backends[0].Member, backends[1].Member], CancellationToken.None).WithTimeout();
        await Eventually.WaitAsync(
            async () => (await fixture.Driver.GetStatsAsync(instance, CancellationToken.None))!.Members.All(m => m.Name != backends[2].Name),
            "the idle leaver to be removed");
        var answers = await GetManyAsync(fixture, instance, 20);

        Assert.Contains(statuses, s => s.Name == backends[0].Name && s.State == MemberState.Active);
        Assert.DoesNotContain(backends[2].Name, answers);
        Assert.Equal(10, answers.Count(a => a == backends[0].Name));
    }

    [Fact]
    public async Task SetMembersAsync_MemberAddedLater_GetsRequests()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "join", BalancingAlgorithm.RoundRobin, 1);
        var newcomer = await fixture.BackendAsync($"{DriverName}-join-new", "127.0.0.59");

        await fixture.Driver.SetMembersAsync(instance, [backends[0].Member, newcomer.Member], CancellationToken.None).WithTimeout();
        var answers = await GetManyAsync(fixture, instance, 10);

        Assert.Equal(5, answers.Count(a => a == newcomer.Name));
    }

    [Fact]
    public async Task Pinning_HeaderOrCookieNamesServer_AlwaysReachesIt()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "pin", BalancingAlgorithm.RoundRobin, 3);

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal((200, backends[1].Name), await fixture.GetAsync(instance, pin: backends[1].Name));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, instance.Url + "/");
        request.Headers.Add("Cookie", $"X-Strata-Server={ProxyFixture.Pin(backends[2].Name)}");
        using var response = await fixture.Client.SendAsync(request).WithTimeout();
        Assert.Equal(backends[2].Name, (await response.Content.ReadAsStringAsync().WithTimeout()).Trim());
    }

    [Fact]
    public async Task Pinning_ValidPinForUnknownServer_Returns421NamingNoServer()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "pin-unknown", BalancingAlgorithm.RoundRobin, 2);

        var (status, body) = await fixture.GetAsync(instance, pin: "web-404");

        Assert.Equal(421, status);
        Assert.Equal("the server named by the X-Strata-Server pin is not available", body);
        Assert.All(backends, b => Assert.DoesNotContain(b.Name, body));
    }

    [Fact]
    public async Task SetMembersAsync_DrainingMemberWithRequestInFlight_FinishesItThenLeaves()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "drain", BalancingAlgorithm.RoundRobin, 2);
        var slow = fixture.GetAsync(instance, "/slow", pin: null);
        await Eventually.WaitAsync(() => backends.Sum(b => b.SlowInFlight) == 1, "the slow request to reach a member");
        var busy = backends.Single(b => b.SlowInFlight == 1);
        var other = backends.Single(b => b != busy);

        await fixture.Driver.SetMembersAsync(instance, [other.Member, busy.Member with { State = MemberState.Draining }], CancellationToken.None).WithTimeout();
        var answers = await GetManyAsync(fixture, instance, 6);
        var stillDraining = !await fixture.Driver.WaitUntilDrainedAsync(instance, busy.Name, TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None).WithTimeout();
        busy.ReleaseSlowRequests();

        Assert.True(stillDraining);
        Assert.All(answers, a => Assert.Equal(other.Name, a));
        Assert.Equal((200, $"{busy.Name}-slow"), await slow.WithTimeout());
        Assert.True(await fixture.Driver.WaitUntilDrainedAsync(instance, busy.Name, TimeSpan.FromSeconds(10), TimeProvider.System, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task LeastConnections_OneMemberBusy_SendsNewRequestsToTheOther()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "least", BalancingAlgorithm.LeastConnections, 2);
        var slow = fixture.GetAsync(instance, "/slow");
        await Eventually.WaitAsync(() => backends.Sum(b => b.SlowInFlight) == 1, "the slow request to reach a member");
        var idle = backends.Single(b => b.SlowInFlight == 0);

        var answers = await GetManyAsync(fixture, instance, 6);
        backends.ForEach(b => b.ReleaseSlowRequests());

        Assert.All(answers, a => Assert.Equal(idle.Name, a));
        Assert.Equal(200, (await slow.WithTimeout()).Status);
    }

    [Fact]
    public async Task SourceHash_SameClient_StaysOnOneMember()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, _) = await StartWithBackendsAsync(fixture, "source", BalancingAlgorithm.SourceHash, 3);

        var answers = await GetManyAsync(fixture, instance, 12);

        Assert.Single(answers.Distinct());
    }

    [Fact]
    public async Task GetStatsAsync_AfterRequests_CountsPerMember()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "stats", BalancingAlgorithm.RoundRobin, 2);
        await GetManyAsync(fixture, instance, 10);

        var stats = await fixture.Driver.GetStatsAsync(instance, CancellationToken.None).WithTimeout();

        Assert.NotNull(stats);
        foreach (var backend in backends)
        {
            var member = Assert.Single(stats.Members, m => m.Name == backend.Name);
            Assert.Equal(5, member.Requests);
            Assert.Equal(0, member.Errors);
            Assert.False(member.Ejected);
            Assert.True(member.LatencyP99 >= member.LatencyP50);
        }
    }


    [Fact]
    public async Task Tls_PemCertificateAndKey_ServesHttpsWithThatCertificate()
    {
        await using var fixture = new ProxyFixture(DriverName);
        using var certificate = TestCertificate.Create(fixture.Root.Path, "front");
        var backend = await fixture.BackendAsync($"{DriverName}-tls-1", "127.0.0.61");
        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-tls") with { Tls = certificate.Settings });
        await fixture.Driver.SetMembersAsync(instance, [backend.Member], CancellationToken.None).WithTimeout();
        var client = fixture.CreateClient(trusted: certificate);

        var answer = await ProxyFixture.GetAsync(client, instance);
        var headers = (await ProxyFixture.GetAsync(client, instance, "/headers")).Body;
        var described = await fixture.Driver.DescribeAsync(instance.Id, CancellationToken.None).WithTimeout();

        Assert.StartsWith("https://127.0.0.1:", instance.Url);
        Assert.Equal((200, backend.Name), answer);
        Assert.Contains("X-Forwarded-For: 127.0.0.1", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(new DateTimeOffset(certificate.Certificate.NotAfter.ToUniversalTime()), instance.CertificateNotAfter);
        Assert.Equal(instance.CertificateNotAfter, described!.CertificateNotAfter);
    }

    [Fact]
    public async Task Tls_ClientTrustingAnotherCertificate_IsRefused()
    {
        await using var fixture = new ProxyFixture(DriverName);
        using var served = TestCertificate.Create(fixture.Root.Path, "served");
        using var other = TestCertificate.Create(fixture.Root.Path, "other");
        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-tls-other") with { Tls = served.Settings });
        var client = fixture.CreateClient(trusted: other);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => ProxyFixture.GetAsync(client, instance));

        Assert.Equal(HttpRequestError.SecureConnectionError, error.HttpRequestError);
    }

    [Fact]
    public async Task EnsureRunningAsync_TlsKeyOfAnotherCertificate_ThrowsNamingTheFiles()
    {
        await using var fixture = new ProxyFixture(DriverName);
        using var first = TestCertificate.Create(fixture.Root.Path, "first");
        using var second = TestCertificate.Create(fixture.Root.Path, "second");
        var definition = ProxyFixture.Definition($"{DriverName}-tls-bad") with
        {
            Tls = new TlsSettings { CertificatePath = first.CertificatePath, KeyPath = second.KeyPath },
        };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Driver.EnsureRunningAsync(definition, CancellationToken.None).WithTimeout());

        Assert.Contains(first.CertificatePath, error.Message);
        Assert.Contains(second.KeyPath, error.Message);
        Assert.Contains("matching", error.Message);
    }

    [Fact]
    public async Task Sticky_ClientWithCookieJar_StaysOnOneMember()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, _) = await StartWithBackendsAsync(fixture, "sticky", BalancingAlgorithm.RoundRobin, 3, sticky: true);
        var cookies = new CookieContainer();
        var client = fixture.CreateClient(cookies);

        var answers = await GetManyAsync(client, instance, 20);

        Assert.Single(answers.Distinct());
        Assert.Equal(answers[0], StickyCookie(cookies, instance));
    }

    [Fact]
    public async Task Sticky_Off_ClientWithCookieJar_RoundRobins()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "unsticky", BalancingAlgorithm.RoundRobin, 3);
        var cookies = new CookieContainer();
        var client = fixture.CreateClient(cookies);

        var answers = await GetManyAsync(client, instance, 21);

        Assert.All(backends, b => Assert.Equal(7, answers.Count(a => a == b.Name)));
        Assert.Null(StickyCookie(cookies, instance));
    }

    [Fact]
    public async Task Sticky_MemberDraining_FallsBackAndRenewsCookie()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "sticky-drain", BalancingAlgorithm.RoundRobin, 3, sticky: true);
        var cookies = new CookieContainer();
        var client = fixture.CreateClient(cookies);
        var first = (await ProxyFixture.GetAsync(client, instance)).Body;
        var leaving = backends.Single(b => b.Name == first);

        await fixture.Driver.SetMembersAsync(
            instance, [.. backends.Select(b => b == leaving ? b.Member with { State = MemberState.Draining } : b.Member)], CancellationToken.None).WithTimeout();
        var answers = await GetManyAsync(client, instance, 10);

        Assert.DoesNotContain(leaving.Name, answers);
        Assert.Single(answers.Distinct());
        Assert.Equal(answers[0], StickyCookie(cookies, instance));
    }

    [Fact]
    public async Task GetStatsAsync_RequestInFlight_CountsOpenConnections()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var (instance, backends) = await StartWithBackendsAsync(fixture, "conns", BalancingAlgorithm.RoundRobin, 2);
        var slow = fixture.GetAsync(instance, "/slow");
        await Eventually.WaitAsync(() => backends.Sum(b => b.SlowInFlight) == 1, "the slow request to reach a member");
        var busy = backends.Single(b => b.SlowInFlight == 1);

        var stats = await fixture.Driver.GetStatsAsync(instance, CancellationToken.None).WithTimeout();
        busy.ReleaseSlowRequests();

        Assert.NotNull(stats);
        Assert.True(stats.OpenConnections >= 1, $"open client connections: {stats.OpenConnections}");
        var member = Assert.Single(stats.Members, m => m.Name == busy.Name);
        Assert.True(member.OpenConnections >= 1, $"open connections to {busy.Name}: {member.OpenConnections}");
        Assert.Equal(1, member.InFlight);
        Assert.Equal(200, (await slow.WithTimeout()).Status);
    }

    [Fact]
    public async Task StopAsync_OneOfTwo_RemovesItsFolderWithItsSecretsAndKeepsTheOther()
    {
        await using var fixture = new ProxyFixture(DriverName);
        var backend = await fixture.BackendAsync($"{DriverName}-kept-1", "127.0.0.61");
        var stopped = await fixture.StartAsync($"{DriverName}-gone");
        var kept = await fixture.StartAsync($"{DriverName}-kept");
        await fixture.Driver.SetMembersAsync(kept, [backend.Member], CancellationToken.None).WithTimeout();
        var folders = Directory.GetDirectories(fixture.Root.Path, $"{DriverName}-*", SearchOption.AllDirectories);

        await fixture.Driver.StopAsync(stopped.Id, CancellationToken.None).WithTimeout();

        Assert.Equal(2, folders.Length);
        Assert.False(Directory.Exists(Assert.Single(folders, f => Path.GetFileName(f) == stopped.Id)), "the stopped load balancer's folder is still there");
        Assert.True(Directory.Exists(Assert.Single(folders, f => Path.GetFileName(f) == kept.Id)), "the other load balancer's folder is gone");
        Assert.Equal((200, backend.Name), await fixture.GetAsync(kept));
    }

    private static string? StickyCookie(CookieContainer cookies, LoadBalancerInstance instance) =>
        cookies.GetCookies(new Uri(instance.Url!))["STRATA_STICKY"]?.Value;

    private async Task<(LoadBalancerInstance Instance, List<TestBackend> Backends)> StartWithBackendsAsync(
        ProxyFixture fixture, string suffix, BalancingAlgorithm algorithm, int count, bool sticky = false)
    {
        var backends = new List<TestBackend>();
        for (var i = 1; i <= count; i++)
        {
            backends.Add(await fixture.BackendAsync($"{DriverName}-{suffix}-{i}", $"127.0.0.{50 + i}"));
        }

        var instance = await fixture.StartAsync(ProxyFixture.Definition($"{DriverName}-{suffix}") with { Algorithm = algorithm, Sticky = sticky });
        await fixture.Driver.SetMembersAsync(instance, [.. backends.Select(b => b.Member)], CancellationToken.None).WithTimeout();
        return (instance, backends);
    }

    private static Task<List<string>> GetManyAsync(ProxyFixture fixture, LoadBalancerInstance instance, int count) =>
        GetManyAsync(fixture.Client, instance, count);

    private static async Task<List<string>> GetManyAsync(HttpClient client, LoadBalancerInstance instance, int count)
    {
        var answers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var (status, body) = await ProxyFixture.GetAsync(client, instance);
            Assert.True(status == 200, $"request {i}: {status} {body}");
            answers.Add(body);
        }

        return answers;
    }
}

[Trait("kind", "e2e")]
public sealed class BuiltInContractTests : LoadBalancerContractTests
{
    protected override string DriverName => "builtin";
}

[Trait("kind", "e2e")]
public sealed class HaProxyContractTests : LoadBalancerContractTests
{
    protected override string DriverName => "haproxy";
}
