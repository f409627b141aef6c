using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Strata.Agent;
using Strata.Api.Contracts.Agent;
using Strata.LoadBalancing;
using Strata.LoadBalancing.Remote;
using Strata.Providers.Probes;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// The agent of one connected host, as the control plane uses it: launches, lists, terminates and fences servers run
/// by the local provider's engine on the host, every one on the host's address, and reads or follows their logs. A launch's settings are resolved here,
/// against the identity the engine will give the server (<see cref="LocalServerLayout"/> under the engine root the
/// agent said hello with), so one message launches it.
/// </summary>
public sealed class HostAgent
{
    // How long the end of a follow waits for the agent to confirm it stopped sending its lines.
    private static readonly TimeSpan s_stopFollowTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<long, ChannelWriter<string>> _follows = new();
    private readonly AgentRequests _requests;
    private readonly ImageShipper _images;
    private readonly VolumeShipper _volumes;
    private readonly CommandShipper _commands;
    private readonly string _engineRoot;

    internal HostAgent(
        string host, string address, string zone, string engineRoot, AgentRequests requests, ImageShipper images, VolumeShipper volumes, CommandShipper commands)
    {
        (Host, Address, Zone, _engineRoot, _requests, _images, _volumes, _commands) = (host, address, zone, engineRoot, requests, images, volumes, commands);
    }

    /// <summary>The host's name in the fleet.</summary>
    public string Host { get; }

    /// <summary>The address every server on the host gets: the one the control plane reaches it at.</summary>
    public string Address { get; }

    /// <summary>The host's zone, which its servers are in.</summary>
    public string Zone { get; }

    /// <summary>
    /// About what launching a server of the image takes on the host's disk: its own copy when the host has the image,
    /// and the transfer, the agent's copy and the extracted image as well when it does not (see <see cref="ImageShipper.FirstLaunchArchives"/>).
    /// </summary>
    public long DiskNeededFor(MachineImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return _images.Has(image.Id) ? image.SizeBytes : ImageShipper.Needed(image.SizeBytes);
    }

    /// <summary>The bytes of image archives sent to the host over this connection.</summary>
    public long ImageBytesSent => _images.BytesSent;

    /// <summary>Raised when the agent reports that the run command of a server it launched exited.</summary>
    public event Action<ServerStopped>? ServerStopped;

    /// <summary>Raised on the channel's reader for each health result the agent sends (see <see cref="WatchHealthAsync"/>); handlers must return at once.</summary>
    public event Action<AgentHealth>? Health;

    /// <summary>
    /// Raised on the channel's reader with each heartbeat's ids of the watches the agent runs (null from an agent older
    /// than watches); handlers must return at once.
    /// </summary>
    public event Action<IReadOnlyList<long>?>? Watching;

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

    /// <summary>Every server on the host, with the listing's digest (null from an older agent), which heartbeats carry as the host's servers change.</summary>
    public async Task<(IReadOnlyList<ServerInstance> Servers, string? Digest)> ListAllServersAsync(CancellationToken ct)
    {
        var reply = await _requests.AskAsync<AgentServersReply>(id => new AgentListServers { Id = id }, ct).ConfigureAwait(false);
        return ([.. reply.Servers.Select(ServerMapping.FromWire)], reply.Digest);
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

    /// <summary>
    /// Has the agent probe the server with <paramref name="spec"/> from now on, replacing its earlier watch. The watch's
    /// id, which its results (<see cref="Health"/>) carry, is given to <paramref name="sending"/> before the request is
    /// sent: the first result may come before the answer. Returns why the agent refused (one older than watches), or null.
    /// </summary>
    /// <exception cref="ProviderException">The agent could not be asked.</exception>
    public async Task<string?> WatchHealthAsync(string serverId, ProbeWatchSpec spec, Action<long> sending, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(sending);
        var reply = await _requests.AskAsync<AgentReply>(id =>
        {
            sending(id);
            return new AgentWatchHealth
            {
                Id = id, ServerId = serverId, Kind = spec.Kind == SocketProbeKind.Tcp ? AgentProbeKind.Tcp : AgentProbeKind.Http, Address = spec.Address,
                Port = spec.Port, Path = spec.Path, IntervalMs = Milliseconds(spec.Interval), BootIntervalMs = Milliseconds(spec.BootInterval ?? spec.Interval),
                TimeoutMs = Milliseconds(spec.Timeout), HealthyAfter = spec.HealthyAfter, UnhealthyAfter = spec.UnhealthyAfter, SpreadStepMs = Milliseconds(spec.SpreadStep),
            };
        }, ct).ConfigureAwait(false);
        return (reply as AgentFailed)?.Error;
    }

    /// <summary>Has the agent stop probing the server.</summary>
    public Task UnwatchHealthAsync(string serverId, CancellationToken ct) =>
        _requests.AskAsync<AgentDone>(id => new AgentUnwatchHealth { Id = id, ServerId = serverId }, ct);

    /// <summary>Creates a volume (a folder) on the host, or returns the one created before under its id.</summary>
    public async Task<VolumeInfo> CreateVolumeAsync(VolumeRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reply = await _requests.AskAsync<AgentVolumeReply>(
            id => new AgentCreateVolume { Id = id, VolumeId = request.VolumeId, Name = request.Name, Deployment = request.Deployment, SizeMiB = request.SizeMiB },
            ct).ConfigureAwait(false);
        var volume = reply.Volume;
        return new VolumeInfo
        {
            Id = volume.Id, Name = volume.Name, Deployment = volume.Deployment, SizeMiB = volume.SizeMiB, Path = volume.Path, CreatedAt = volume.CreatedAt, Host = Host,
        };
    }

    /// <summary>Replaces the content of a volume on the host with that of a folder of the control plane's machine.</summary>
    public Task FillVolumeAsync(string volumeId, string sourceFolder, CancellationToken ct) => _volumes.SendAsync(volumeId, sourceFolder, ct);

    /// <summary>
    /// Copies the content of a volume on the host into the empty folder <paramref name="targetFolder"/> of the control
    /// plane's machine; <paramref name="taken"/> is called once the host has read it, before the transfer.
    /// </summary>
    public Task ReadVolumeAsync(string volumeId, string targetFolder, Func<CancellationToken, Task>? taken, CancellationToken ct) =>
        _volumes.ReceiveAsync(volumeId, targetFolder, taken, ct);

    /// <summary>Deletes a volume and its data on the host; an unknown one is nothing to delete.</summary>
    public Task DeleteVolumeAsync(string volumeId, CancellationToken ct) =>
        _requests.AskAsync<AgentDone>(id => new AgentDeleteVolume { Id = id, VolumeId = volumeId }, ct);

    /// <summary>Runs a command on a server of the host, in its root (see <see cref="IServerShell"/>).</summary>
    public Task<ShellResult> RunCommandAsync(ShellRequest request, CancellationToken ct) => _commands.RunAsync(request, ct);

    /// <summary>The last <paramref name="lines"/> lines of the server's log on the host.</summary>
    public async Task<IReadOnlyList<string>> ReadLogTailAsync(string serverId, int lines, CancellationToken ct) =>
        (await _requests.AskAsync<AgentLogReply>(id => new AgentReadLog { Id = id, ServerId = serverId, Lines = lines }, ct).ConfigureAwait(false)).Lines;

    /// <summary>
    /// The server's last <paramref name="lines"/> log lines, then each line it writes, as the agent sends them, until
    /// cancelled (the agent is then told to stop following), the server's log is gone or the connection ends.
    /// </summary>
    public async IAsyncEnumerable<string> FollowLogAsync(string serverId, int lines, [EnumeratorCancellation] CancellationToken ct)
    {
        var received = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        long follow = 0;
        var done = _requests.AskAsync<AgentDone>(id =>
        {
            follow = id;
            _follows[id] = received.Writer;
            return new AgentFollowLog { Id = id, ServerId = serverId, Lines = lines };
        }, CancellationToken.None);
        _ = done.ContinueWith(t => received.Writer.TryComplete(t.Exception?.InnerException), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        try
        {
            await foreach (var line in received.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return line;
            }
        }
        finally
        {
            _follows.TryRemove(follow, out _);
            if (!done.IsCompleted)
            {
                await StopFollowingAsync(follow).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The driver of that name (<c>builtin</c>, <c>haproxy</c>) as the agent runs it on the host.</summary>
    public ILoadBalancerDriver LoadBalancerDriver(string name) => new AgentLoadBalancerDriver(this, name);

    /// <summary>Stops every load balancer on the host but <paramref name="kept"/> (by physical name); returns those it stopped.</summary>
    public async Task<IReadOnlyList<string>> KeepOnlyLoadBalancersAsync(IReadOnlyCollection<string> kept, CancellationToken ct)
    {
        var reply = await CallLoadBalancerAsync(
            "builtin", AgentLoadBalancerOperation.KeepOnly, "", LoadBalancerWire.Write([.. kept.Order(StringComparer.Ordinal)]), ct).ConfigureAwait(false);
        return LoadBalancerWire.ReadNames(reply.Body);
    }

    internal Task<AgentLoadBalancerReply> CallLoadBalancerAsync(
        string driver, AgentLoadBalancerOperation operation, string id, System.Text.Json.JsonElement? body, CancellationToken ct,
        string? certificatePem = null, string? keyPem = null) =>
        _requests.AskAsync<AgentLoadBalancerReply>(requestId => new AgentLoadBalancerCall
        {
            Id = requestId, Driver = driver, Operation = operation, LoadBalancerId = id, Body = body, CertificatePem = certificatePem, KeyPem = keyPem,
        }, ct);

    internal void OnLogLine(AgentLogLine line)
    {
        if (_follows.TryGetValue(line.Follow, out var follower))
        {
            follower.TryWrite(line.Line);
        }
    }

    /// <summary>Tells the agent to stop following; a channel that ended meanwhile has no follow left to stop.</summary>
    private async Task StopFollowingAsync(long follow)
    {
        try
        {
            await _requests.AskAsync<AgentDone>(id => new AgentStopFollow { Id = id, Follow = follow }, CancellationToken.None)
                .WaitAsync(s_stopFollowTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProviderException or TimeoutException)
        {
        }
    }

    internal void OnHealth(AgentHealth health) => Health?.Invoke(health);

    internal void OnHeartbeat(AgentHeartbeat heartbeat) => Watching?.Invoke(heartbeat.Watching);

    private static long Milliseconds(TimeSpan span) => (long)Math.Ceiling(span.TotalMilliseconds);

    internal void OnExited(AgentServerExited exited) => ServerStopped?.Invoke(new ServerStopped(exited.Deployment, exited.ServerId));
}
