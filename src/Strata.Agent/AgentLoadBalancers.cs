using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Strata.Common.Files;
using Strata.Api.Contracts.Agent;
using Strata.LoadBalancing;
using Strata.LoadBalancing.Remote;

namespace Strata.Agent;

/// <summary>
/// The load balancers the control plane places on this host, run by the same drivers as on the control plane's
/// machine (the built-in proxy as <c>dotnet Strata.Agent.dll proxy</c>, HAProxy when installed here) under the agent's
/// folder: <c>lb/builtin/ID</c>, <c>lb/haproxy/ID</c>, and <c>lb/tls/ID</c> for a certificate sent with a definition.
/// Like servers, they keep running when the agent exits, and a new agent adopts them through their drivers' files.
/// </summary>
internal sealed class AgentLoadBalancers : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly ILoadBalancerDriverRegistry _drivers;
    private readonly string _root;

    public AgentLoadBalancers(string folder, TimeProvider time)
    {
        _root = Path.Combine(folder, "lb");
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddBuiltInLoadBalancer(o =>
        {
            o.RootPath = Path.Combine(_root, "builtin");
            o.ProxyCommand = ProxyCommand();
        });
        services.AddHaProxyLoadBalancer(o => o.RootPath = Path.Combine(_root, "haproxy"));
        _services = services.BuildServiceProvider();
        _drivers = _services.GetRequiredService<ILoadBalancerDriverRegistry>();
    }

    /// <summary>Carries out one call of a driver; its failure is the caller's to report.</summary>
    public async Task<AgentLoadBalancerReply> CallAsync(AgentLoadBalancerCall call, CancellationToken ct)
    {
        var driver = _drivers.Get(call.Driver);
        var body = call.Operation switch
        {
            AgentLoadBalancerOperation.Ensure => LoadBalancerWire.Write(await driver.EnsureRunningAsync(WithTls(call), ct).ConfigureAwait(false)),
            AgentLoadBalancerOperation.SetMembers => LoadBalancerWire.Write(await SetMembersAsync(driver, call, ct).ConfigureAwait(false)),
            AgentLoadBalancerOperation.Describe => await driver.DescribeAsync(call.LoadBalancerId, ct).ConfigureAwait(false) is { } found ? LoadBalancerWire.Write(found) : (System.Text.Json.JsonElement?)null,
            AgentLoadBalancerOperation.Stats => await driver.GetStatsAsync(LoadBalancerWire.ReadInstance(call.Body), ct).ConfigureAwait(false) is { } stats ? LoadBalancerWire.Write(stats) : null,
            AgentLoadBalancerOperation.Stop => await StopAsync(driver, call.LoadBalancerId, ct).ConfigureAwait(false),
            AgentLoadBalancerOperation.KeepOnly => LoadBalancerWire.Write(await KeepOnlyAsync(LoadBalancerWire.ReadNames(call.Body), ct).ConfigureAwait(false)),
            _ => throw new InvalidOperationException($"this agent does not carry out load-balancer '{call.Operation}' calls"),
        };
        return new AgentLoadBalancerReply { ReplyTo = call.Id, Body = body };
    }

    private static Task<IReadOnlyList<MemberStatus>> SetMembersAsync(ILoadBalancerDriver driver, AgentLoadBalancerCall call, CancellationToken ct)
    {
        var (instance, members) = LoadBalancerWire.ReadSetMembers(call.Body);
        return driver.SetMembersAsync(instance, members, ct);
    }

    /// <summary>
    /// The definition as sent, with its TLS paths pointing at the certificate and key written here: the paths the
    /// control plane sent are files of its own machine.
    /// </summary>
    private LoadBalancerDefinition WithTls(AgentLoadBalancerCall call)
    {
        var definition = LoadBalancerWire.ReadDefinition(call.Body);
        if (call.CertificatePem is null || call.KeyPem is null)
        {
            return definition with { Tls = null };
        }

        var folder = Path.Combine(_root, "tls", definition.Id);
        Directory.CreateDirectory(folder);
        var (certificate, key) = (Path.Combine(folder, "certificate.pem"), Path.Combine(folder, "key.pem"));
        AtomicFile.Write(certificate, Encoding.UTF8.GetBytes(call.CertificatePem));
        AtomicFile.Write(key, Encoding.UTF8.GetBytes(call.KeyPem), AtomicFileOptions.OwnerOnly);
        return definition with { Tls = new TlsSettings { CertificatePath = certificate, KeyPath = key } };
    }

    private async Task<System.Text.Json.JsonElement?> StopAsync(ILoadBalancerDriver driver, string id, CancellationToken ct)
    {
        await driver.StopAsync(id, ct).ConfigureAwait(false);
        var tls = Path.Combine(_root, "tls", id);
        if (Directory.Exists(tls))
        {
            Directory.Delete(tls, recursive: true);
        }

        return null;
    }

    /// <summary>
    /// Stops every load balancer this host runs but <paramref name="kept"/>: a host that comes back after its load
    /// balancers were placed elsewhere must not keep serving from the old ones.
    /// </summary>
    private async Task<IReadOnlyList<string>> KeepOnlyAsync(IReadOnlyList<string> kept, CancellationToken ct)
    {
        var stopped = new List<string>();
        foreach (var name in _drivers.Names)
        {
            var folder = Path.Combine(_root, name);
            var ids = Directory.Exists(folder) ? Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>() : [];
            foreach (var id in ids.Where(i => !kept.Contains(i, StringComparer.Ordinal)).Order(StringComparer.Ordinal))
            {
                await StopAsync(_drivers.Get(name), id, ct).ConfigureAwait(false);
                stopped.Add(id);
            }
        }

        return stopped;
    }

    /// <summary>This agent's own program with the <c>proxy</c> command: the agent's files are all a host has of Strata.</summary>
    private static IReadOnlyList<string> ProxyCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var entry = typeof(AgentLoadBalancers).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, entry, "proxy"] : [process, "proxy"];
    }

    public void Dispose() => _services.Dispose();
}
