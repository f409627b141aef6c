using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Ssh;
using Strata.Testing;

namespace Strata.Providers.Hosts.Tests;

/// <summary>A fleet on a manual clock with its own known_hosts file, and agent folders in a temporary folder.</summary>
internal sealed class FleetHarness : IAsyncDisposable
{
    private readonly TemporaryDirectory _folder = new("strata-fleet");

    public FleetHarness(Action<HostsOptions>? configure = null)
    {
        Options = new HostsOptions { KnownHostsPath = _folder.Combine("known_hosts") };
        configure?.Invoke(Options);
        Fleet = new HostFleet(Microsoft.Extensions.Options.Options.Create(Options), Time, NullLogger<HostFleet>.Instance);
    }

    public ManualTimeProvider Time { get; } = new();

    public HostsOptions Options { get; }

    public HostFleet Fleet { get; }

    public string KnownHostsPath => Options.KnownHostsPath;

    public HostRegistration Registration(SshdHost host, string name = "h1", string? identity = null) => new()
    {
        Name = name,
        Login = new SshLogin(new SshTarget { User = SshdHost.User, Address = host.Address, Port = SshdHost.Port }, identity ?? host.IdentityFile),
        AgentDir = _folder.Combine("agents", name),
        AgentRuntime = SshdHost.Dotnet,
    };

    public async ValueTask DisposeAsync()
    {
        await Fleet.DisposeAsync();
        _folder.Dispose();
    }
}
