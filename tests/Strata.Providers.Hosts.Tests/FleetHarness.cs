using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Ssh;
using Strata.Storage;
using Strata.Storage.FileSystem;
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
        Images = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _folder.Combine("objects") });
        Fleet = new HostFleet(Microsoft.Extensions.Options.Options.Create(Options), Images, Time, NullLogger<HostFleet>.Instance);
    }

    public ManualTimeProvider Time { get; } = new();

    /// <summary>The control plane's object store, where images are registered and sent to hosts from.</summary>
    public IObjectStore Images { get; }

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

    /// <summary>Writes an executable script into the harness's folder and returns its path.</summary>
    public string WriteScript(string name, string content)
    {
        var path = _folder.WriteFile(name, content);
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        // Servers outlive their agent: a test that failed half-way must not leave any running on this machine.
        foreach (var agent in Fleet.List().Select(h => Fleet.AgentOf(h.Name)).OfType<Agent.HostAgent>())
        {
            try
            {
                foreach (var server in await agent.ListServersAsync(null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)))
                {
                    await agent.TerminateAsync(server.Id, TimeSpan.FromSeconds(2), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
                }
            }
            catch (Exception ex) when (ex is ProviderException or TimeoutException)
            {
                // The host is gone (a test powered it off): whatever ran there died with it.
            }
        }

        await Fleet.DisposeAsync();
        _folder.Dispose();
    }
}
