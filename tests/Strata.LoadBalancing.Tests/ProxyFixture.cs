using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Strata.LoadBalancing.BuiltIn;
using Strata.LoadBalancing.Pinning;
using Strata.LoadBalancing.Proxy;
using Strata.Testing;

namespace Strata.LoadBalancing.Tests;

/// <summary>
/// A driver over a temporary root that starts the proxy as a real separate process (the ProxyHost project), and
/// stops every load balancer it started, also when the test fails.
/// </summary>
internal sealed class ProxyFixture : IAsyncDisposable
{
    private readonly List<ServiceProvider> _providers = [];
    private readonly HashSet<string> _ids = [];
    private readonly List<TestBackend> _backends = [];
    private readonly List<HttpClient> _clients = [];

    private readonly string _driverName;

    private readonly int? _haProxySlots;

    private readonly Action<BuiltInLoadBalancerOptions>? _builtIn;

    /// <param name="haProxySlots">The HAProxy driver's server slots; the default, null, keeps the driver's default.</param>
    /// <param name="builtIn">Changes to the built-in driver's options after the fixture's own.</param>
    public ProxyFixture(string driverName = "builtin", int? haProxySlots = null, Action<BuiltInLoadBalancerOptions>? builtIn = null)
    {
        _driverName = driverName;
        _haProxySlots = haProxySlots;
        _builtIn = builtIn;
        Driver = CreateDriver();
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public TemporaryDirectory Root { get; } = new("strata-lb");

    public ILoadBalancerDriver Driver { get; }

    public HttpClient Client { get; }

    /// <summary>A second, independent driver over the same root, as after a control-plane restart.</summary>
    public ILoadBalancerDriver CreateDriver()
    {
        var host = Path.Combine(AppContext.BaseDirectory, "Strata.LoadBalancing.ProxyHost.dll");
        var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var provider = new ServiceCollection()
            .AddBuiltInLoadBalancer(o =>
            {
                o.RootPath = Root.Path;
                o.ProxyCommand = [dotnet, host];
                o.StartTimeout = TimeSpan.FromSeconds(20);
                _builtIn?.Invoke(o);
            })
            .AddHaProxyLoadBalancer(o =>
            {
                o.RootPath = Root.Combine("haproxy");
                o.ServerSlots = _haProxySlots ?? o.ServerSlots;
            })
            .BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<ILoadBalancerDriverRegistry>().Get(_driverName);
    }

    /// <summary>The pin key of every load balancer the fixture defines.</summary>
    public static string PinKey { get; } = ServerPin.NewKey();

    /// <summary>A pin for <paramref name="server"/> signed with <see cref="PinKey"/>, valid for an hour unless told.</summary>
    public static string Pin(string server, bool anyState = false, TimeSpan? ttl = null, string? key = null) =>
        ServerPin.Sign(key ?? PinKey, new PinClaim(server, DateTimeOffset.UtcNow + (ttl ?? TimeSpan.FromHours(1)), anyState));

    public static LoadBalancerDefinition Definition(string id, int port = 0, TimeSpan? drainTimeout = null) => new()
    {
        Id = id,
        PinKey = PinKey,
        Deployment = "hello",
        ListenHost = "127.0.0.1",
        ListenPort = port,
        DrainTimeout = drainTimeout ?? TimeSpan.FromSeconds(10),
    };

    public async Task<LoadBalancerInstance> StartAsync(LoadBalancerDefinition definition)
    {
        _ids.Add(definition.Id);
        var instance = await Driver.EnsureRunningAsync(definition, CancellationToken.None).WithTimeout();
        Assert.True(instance.State == LoadBalancerInstanceState.Running, $"load balancer {definition.Id}: {instance.State} {instance.Message}");
        return instance;
    }

    public Task<LoadBalancerInstance> StartAsync(string id) => StartAsync(Definition(id));

    /// <param name="port">The port to listen on; the default, 0, takes a free one.</param>
    public async Task<TestBackend> BackendAsync(string name, string address, int port = 0)
    {
        var backend = await TestBackend.StartAsync(name, address, port);
        _backends.Add(backend);
        return backend;
    }

    public Task<(int Status, string Body)> GetAsync(LoadBalancerInstance instance, string path = "/", string? pin = null) =>
        GetAsync(Client, instance, path, pin);

    /// <param name="pin">A server to pin the request to, with a valid pin made by <see cref="Pin"/>.</param>
    public static Task<(int Status, string Body)> GetAsync(HttpClient client, LoadBalancerInstance instance, string path = "/", string? pin = null) =>
        GetWithPinAsync(client, instance, path, pin is null ? null : Pin(pin));

    /// <param name="pinValue">The <c>X-Strata-Server</c> header as sent, valid or not.</param>
    public static async Task<(int Status, string Body)> GetWithPinAsync(HttpClient client, LoadBalancerInstance instance, string path, string? pinValue)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, instance.Url + path);
        if (pinValue is not null)
        {
            request.Headers.Add(ServerPin.Header, pinValue);
        }

        using var response = await client.SendAsync(request).WithTimeout();
        return ((int)response.StatusCode, (await response.Content.ReadAsStringAsync().WithTimeout()).Trim());
    }

    /// <summary>A client, disposed with the fixture, that keeps cookies and trusts only <paramref name="trusted"/> for HTTPS.</summary>
    public HttpClient CreateClient(CookieContainer? cookies = null, TestCertificate? trusted = null)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, UseCookies = cookies is not null, CookieContainer = cookies ?? new CookieContainer() };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => trusted?.Validate(certificate, errors) == true;
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        _clients.Add(client);
        return client;
    }

    /// <summary>The last lines of every load balancer's log under the root, for a failure message.</summary>
    public string LogTail(int lines = 40) => string.Join(
        "\n",
        Directory.EnumerateFiles(Root.Path, "*.log", SearchOption.AllDirectories)
            .Select(f => $"== {Path.GetRelativePath(Root.Path, f)}\n" + string.Join("\n", File.ReadLines(f).TakeLast(lines))));

    public async ValueTask DisposeAsync()
    {
        var errors = new List<Exception>();
        foreach (var id in _ids)
        {
            try
            {
                await Driver.StopAsync(id, CancellationToken.None).WithTimeout();
            }
            catch (Exception ex)
            {
                errors.Add(ex);
                KillLeftover(id);
            }
        }

        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        Client.Dispose();
        _clients.ForEach(c => c.Dispose());
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        Root.Dispose();
        if (errors.Count > 0)
        {
            throw new AggregateException("Stopping the load balancers failed.", errors);
        }
    }

    private void KillLeftover(string id)
    {
        var haproxy = ProxyFiles.TryRead(Path.Combine(Root.Combine("haproxy", id), "haproxy.state.json"), LoadBalancingJsonContext.Default.HaProxyStateDocument);
        if (haproxy is not null && ProxyFiles.IdentityOf(haproxy.ProcessId, haproxy.ProcessStartTime, id).IsRunning())
        {
            using var process = System.Diagnostics.Process.GetProcessById(haproxy.ProcessId);
            process.Kill();
        }

        var state = ProxyFiles.TryRead(ProxyFiles.InFolder(Root.Combine(id)).State, LoadBalancingJsonContext.Default.ProxyStateDocument);
        if (state is not null && ProxyFiles.IdentityOf(state.ProcessId, state.ProcessStartTime, id).IsRunning())
        {
            using var process = System.Diagnostics.Process.GetProcessById(state.ProcessId);
            process.Kill();
        }
    }
}
