using Strata.Agent;
using Strata.Api.Contracts.Agent;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// The agent of one connected host, as the control plane uses it: launches, lists, terminates and fences servers run
/// by the local provider's engine on the host, every one on the host's address. A launch's settings are resolved here,
/// against the identity the engine will give the server (<see cref="LocalServerLayout"/> under the engine root the
/// agent said hello with), so one message launches it.
/// </summary>
public sealed class HostAgent
{
    private readonly AgentRequests _requests;
    private readonly ImageShipper _images;
    private readonly string _engineRoot;

    internal HostAgent(string host, string address, string zone, string engineRoot, AgentRequests requests, ImageShipper images)
    {
        (Host, Address, Zone, _engineRoot, _requests, _images) = (host, address, zone, engineRoot, requests, images);
    }

    /// <summary>The host's name in the fleet.</summary>
    public string Host { get; }

    /// <summary>The address every server on the host gets: the one the control plane reaches it at.</summary>
    public string Address { get; }

    /// <summary>The host's zone, which its servers are in.</summary>
    public string Zone { get; }

    /// <summary>The bytes of image archives sent to the host over this connection.</summary>
    public long ImageBytesSent => _images.BytesSent;

    /// <summary>Raised when the agent reports that the run command of a server it launched exited.</summary>
    public event Action<ServerStopped>? ServerStopped;

    /// <summary>
    /// Sends the image if the host lacks it, then launches the server (or returns the one launched before under its
    /// id). As with the local provider, a server that does not come up is returned <see cref="ServerInstanceState.Failed"/>.
    /// </summary>
    /// <exception cref="ProviderException">The agent could not be asked, or refused the request; the message says why.</exception>
    public async Task<ServerInstance> LaunchAsync(LaunchRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _images.EnsureAsync(request.Image, ct).ConfigureAwait(false);
        var identity = LocalServerLayout.IdentityOf(_engineRoot, request, Zone, Address);
        var settings = request.Settings(identity);
        var spec = new AgentLaunchSpec
        {
            ServerId = request.ServerId, Name = identity.Name, Deployment = request.Deployment, Tier = request.Tier, Zone = Zone,
            ImageId = request.Image.Id, ImageName = request.Image.Name, Volumes = ServerMapping.ToWire(request.Volumes), Ports = request.Ports,
            RunCommand = settings.RunCommand, ConfigureCommand = settings.ConfigureCommand, Environment = settings.Environment,
            Configuration = settings.Configuration, RootPath = identity.RootPath, ConfigPath = identity.ConfigPath, Address = Address,
            Cpu = request.Resources.Cpu, MemoryBytes = request.Resources.MemoryBytes,
        };
        var reply = await _requests.AskAsync<AgentServerReply>(id => new AgentLaunch { Id = id, Server = spec }, ct).ConfigureAwait(false);
        return ServerMapping.FromWire(reply.Server);
    }

    public async Task<IReadOnlyList<ServerInstance>> ListServersAsync(string? deployment, CancellationToken ct)
    {
        var reply = await _requests.AskAsync<AgentServersReply>(id => new AgentListServers { Id = id, Deployment = deployment }, ct).ConfigureAwait(false);
        return [.. reply.Servers.Select(ServerMapping.FromWire)];
    }

    /// <summary>Stops the server (SIGTERM, then SIGKILL after <paramref name="grace"/>) and deletes it; its volumes stay.</summary>
    public Task TerminateAsync(string serverId, TimeSpan? grace, CancellationToken ct) =>
        _requests.AskAsync<AgentDone>(id => new AgentTerminate { Id = id, ServerId = serverId, GraceMs = (long?)grace?.TotalMilliseconds }, ct);

    /// <summary>Kills every process of the server on the host, keeping its record.</summary>
    public Task FenceAsync(string serverId, CancellationToken ct) =>
        _requests.AskAsync<AgentDone>(id => new AgentFence { Id = id, ServerId = serverId }, ct);

    /// <summary>Kills every process of the host's servers but <paramref name="serverIds"/> and deletes them; returns those it stopped.</summary>
    public async Task<IReadOnlyList<ServerInstance>> KeepOnlyAsync(IReadOnlyCollection<string> serverIds, CancellationToken ct)
    {
        var reply = await _requests.AskAsync<AgentServersReply>(id => new AgentKeepOnly { Id = id, ServerIds = [.. serverIds.Order(StringComparer.Ordinal)] }, ct).ConfigureAwait(false);
        return [.. reply.Servers.Select(ServerMapping.FromWire)];
    }

    internal void OnExited(AgentServerExited exited) => ServerStopped?.Invoke(new ServerStopped(exited.Deployment, exited.ServerId));
}
