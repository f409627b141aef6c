using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Renci.SshNet;
using Renci.SshNet.Common;
using Strata.Agent;
using Strata.Api.Contracts.Agent;
using Strata.LoadBalancing.Remote;
using Strata.Providers.Hosts.Agent;
using Strata.Providers.Hosts.Ssh;

namespace Strata.Providers.Hosts.Fleet;

/// <summary>One host's SSH connection and the agent channel on it, with what the agent has said.</summary>
internal sealed partial class HostConnection : IAsyncDisposable
{
    private readonly SshClient _client;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<AgentHello> _hello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private AgentChannel? _channel;
    private AgentRequests? _requests;
    private long _lastHeartbeatTicks;

    // The free disk the last heartbeat reported, or -1 before one did.
    private long _diskFree = -1;

    private HostConnection(HostRegistration registration, SshClient client, TimeProvider time)
    {
        Registration = registration;
        _client = client;
        _time = time;
    }

    public HostRegistration Registration { get; }

    public AgentHello? Hello => _hello.Task.IsCompletedSuccessfully ? _hello.Task.Result : null;

    public DateTimeOffset? LastHeartbeat => Interlocked.Read(ref _lastHeartbeatTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public bool Connected => _channel is { Completion.IsCompleted: false };

    /// <summary>The digest of the host's listing of its servers as the last heartbeat said; null before one did, or when it could not be taken.</summary>
    public string? ServersDigest { get; private set; }

    /// <summary>Free disk where the agent keeps its servers, as its last heartbeat (or its hello) said.</summary>
    public long? DiskFreeBytes => Interlocked.Read(ref _diskFree) is var free and >= 0 ? free : Hello?.DiskFreeBytes;

    /// <summary>What installing the agent copied when this connection was opened.</summary>
    public AgentInstall? Install { get; private set; }

    /// <summary>The agent, for running servers on the host; set once it said hello.</summary>
    public HostAgent? Agent { get; private set; }

    /// <summary>Ends when the agent channel does.</summary>
    public Task Completion => _channel?.Completion ?? Task.CompletedTask;

    /// <summary>Logs in, installs the agent, starts it and waits for its hello.</summary>
    /// <exception cref="HostConnectException">Any step failed; the message says which and why.</exception>
    public static async Task<HostConnection> OpenAsync(HostRegistration host, bool acceptNewHostKey, HostLinks links, CancellationToken ct)
    {
        var client = await links.Connector.ConnectAsync(host.Login, acceptNewHostKey, ct).ConfigureAwait(false);
        var connection = new HostConnection(host, client, links.Time);
        try
        {
            connection.Install = await InstallAsync(client, links.Connector, host, ct).ConfigureAwait(false);
            var folder = connection.Install.Folder;
            var address = await AddressOfAsync(host.Login.Target, ct).ConfigureAwait(false);
            var start = new AgentStart(host.Name, host.AgentRuntime, folder, links.Options.HeartbeatInterval, address, host.ZoneOrDefault);
            var channel = AgentChannel.Start(client, start, links.Logger, connection.OnMessageAsync);
            connection._channel = channel;
            connection._requests = new AgentRequests(channel, host.Name);
            _ = channel.Completion.ContinueWith(
                t => connection._requests.End(t.Exception?.InnerException?.Message ?? "the agent's channel closed"), TaskScheduler.Default);
            var hello = await connection.WaitForHelloAsync(links.Options.HelloTimeout, ct).ConfigureAwait(false);
            await FenceAsync(host.Name, address, connection._requests, links.Fencing, ct).ConfigureAwait(false);
            await FenceLoadBalancersAsync(host.Name, connection._requests, links.Fencing, links.Logger, ct).ConfigureAwait(false);
            var images = new ImageShipper(connection._requests, links.Connector, host.Login, hello.UploadFolder!, links.Images);
            var volumes = new VolumeShipper(connection._requests, links.Connector, host.Login, hello.UploadFolder!);
            var commands = new CommandShipper(host.Name, connection._requests, links.Connector, host.Login, hello.UploadFolder!);
            connection.Agent = new HostAgent(host.Name, address, host.ZoneOrDefault, hello.EngineRoot!, connection._requests, images, volumes, commands);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is { } channel)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }

        _client.Dispose();
    }

    /// <summary>
    /// Has the agent stop the servers the control plane no longer runs on the host, before the connection is used for
    /// anything else: a host back after being lost must not serve or write with servers that were replaced.
    /// </summary>
    private static async Task FenceAsync(string host, string address, AgentRequests requests, IHostFencing fencing, CancellationToken ct)
    {
        if (await fencing.OwnedOnAsync(host, address, ct).ConfigureAwait(false) is not { } owned)
        {
            return;
        }

        AgentServersReply reply;
        try
        {
            reply = await requests.AskAsync<AgentServersReply>(id => new AgentKeepOnly { Id = id, ServerIds = [.. owned.Order(StringComparer.Ordinal)] }, ct).ConfigureAwait(false);
        }
        catch (ProviderException ex)
        {
            throw new HostConnectException(HostConnectFailure.AgentFailed, $"the agent of host {host} could not stop the servers replaced while it was away: {ex.Message}", ex);
        }

        if (reply.Servers.Count > 0)
        {
            await fencing.FencedAsync(host, [.. reply.Servers.Select(ServerMapping.FromWire)], ct).ConfigureAwait(false);
        }
    }

    /// <summary>Has the agent stop the load balancers placed elsewhere while the host was away.</summary>
    private static async Task FenceLoadBalancersAsync(string host, AgentRequests requests, IHostFencing fencing, ILogger logger, CancellationToken ct)
    {
        if (await fencing.LoadBalancersOwnedOnAsync(host, ct).ConfigureAwait(false) is not { } owned)
        {
            return;
        }

        IReadOnlyList<string> stopped;
        try
        {
            // Not a reason to refuse the host: its servers are fenced, and a load balancer left there listens at an
            // address no deployment gives out any more; the next connection tries again.
            var reply = await requests.AskAsync<AgentLoadBalancerReply>(id => new AgentLoadBalancerCall
            {
                Id = id, Driver = "builtin", Operation = AgentLoadBalancerOperation.KeepOnly, LoadBalancerId = "",
                Body = LoadBalancerWire.Write([.. owned.Order(StringComparer.Ordinal)]),
            }, ct).ConfigureAwait(false);
            stopped = LoadBalancerWire.ReadNames(reply.Body);
        }
        catch (ProviderException ex)
        {
            LogLoadBalancerFenceFailed(logger, host, ex.Message);
            return;
        }

        if (stopped.Count > 0)
        {
            await fencing.LoadBalancersFencedAsync(host, stopped, ct).ConfigureAwait(false);
        }
    }

    private static async Task<AgentInstall> InstallAsync(SshClient client, SshConnector connector, HostRegistration host, CancellationToken ct)
    {
        using var sftp = await connector.ConnectSftpAsync(host.Login, ct).ConfigureAwait(false);
        try
        {
            return await AgentInstaller.InstallAsync(client, sftp, host.AgentDir, ct).ConfigureAwait(false);
        }
        catch (SshException ex)
        {
            var free = await FreeBytesAsync(client, AgentInstaller.Resolve(host.AgentDir, sftp.WorkingDirectory), ct).ConfigureAwait(false);
            throw new HostConnectException(HostConnectFailure.AgentFailed, free < AgentInstaller.BundleBytes
                ? $"cannot install the agent in {host.AgentDir} on {host.Login.Target}: its disk is full ({ServerResources.FormatBytes(free.Value)} free, "
                    + $"the agent takes {ServerResources.FormatBytes(AgentInstaller.BundleBytes)}; {ex.Message}). Free space there, or give a folder on another disk with --agent-dir"
                : $"cannot install the agent in {host.AgentDir} on {host.Login.Target}: {ex.Message}. Give a folder the login may write with --agent-dir", ex);
        }
    }

    /// <summary>The free bytes on the disk of the agent's folder (or of the nearest folder above it that exists), or null.</summary>
    private static async Task<long?> FreeBytesAsync(SshClient client, string folder, CancellationToken ct)
    {
        try
        {
            return await AgentInstaller.FreeBytesAsync(client, folder, ct).ConfigureAwait(false);
        }
        catch (SshException)
        {
            return null;
        }
    }

    /// <summary>The address servers on the host get: the SSH address, resolved when it is a name.</summary>
    private static async Task<string> AddressOfAsync(SshTarget target, CancellationToken ct)
    {
        if (IPAddress.TryParse(target.Address, out var literal))
        {
            return literal.ToString();
        }

        var found = await Dns.GetHostAddressesAsync(target.Address, AddressFamily.InterNetwork, ct).ConfigureAwait(false);
        return found.Length > 0
            ? found[0].ToString()
            : throw new HostConnectException(HostConnectFailure.Unreachable, $"{target.Address} has no IPv4 address for its servers to listen on");
    }

    private async Task<AgentHello> WaitForHelloAsync(TimeSpan timeout, CancellationToken ct)
    {
        var channel = _channel!;
        Task first;
        try
        {
            first = await Task.WhenAny(_hello.Task, channel.Completion).WaitAsync(timeout, _time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new HostConnectException(HostConnectFailure.AgentFailed,
                $"the agent on {Registration.Login.Target} did not say hello within {timeout.TotalSeconds:0.#}s: {channel.Errors}", ex);
        }

        // The reader answers hello (or refused) before the channel's end, but the two may reach WhenAny the other way
        // round: whatever the agent said first wins.
        if (first == _hello.Task || _hello.Task.IsCompleted)
        {
            var hello = await _hello.Task.ConfigureAwait(false);
            return hello is { EngineRoot: not null, UploadFolder: not null }
                ? hello
                : throw new HostConnectException(HostConnectFailure.AgentFailed, $"the agent on {Registration.Login.Target} runs no servers (version {hello.Version}); reconnect the host to install this control plane's agent");
        }

        var why = channel.Completion.Exception?.InnerException?.Message ?? channel.Errors;
        throw new HostConnectException(HostConnectFailure.AgentFailed,
            $"the agent on {Registration.Login.Target} stopped before saying hello: {(why.Length > 0 ? why : "it wrote nothing")}. "
            + $"The host needs the .NET and ASP.NET Core {Environment.Version.Major} runtimes: `dotnet` on the login's PATH, or its path with --agent-runtime");
    }

    private Task OnMessageAsync(AgentMessage message)
    {
        Interlocked.Exchange(ref _lastHeartbeatTicks, _time.GetUtcNow().UtcTicks);
        switch (message)
        {
            case AgentHello hello:
                _hello.TrySetResult(hello);
                break;
            case AgentHeartbeat heartbeat:
                if (heartbeat.DiskFreeBytes is { } free)
                {
                    Interlocked.Exchange(ref _diskFree, free);
                }

                ServersDigest = heartbeat.ServersDigest;
                Agent?.OnHeartbeat(heartbeat);
                break;
            case AgentRefused refused:
                _hello.TrySetException(new HostConnectException(HostConnectFailure.AgentFailed, $"the agent on {Registration.Login.Target} refused to start: {refused.Reason}"));
                break;
            case AgentReply reply:
                _requests?.Answer(reply);
                break;
            case AgentServerExited exited:
                Agent?.OnExited(exited);
                break;
            case AgentLogLine line:
                Agent?.OnLogLine(line);
                break;
            case AgentHealth health:
                Agent?.OnHealth(health);
                break;
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 7011, Level = LogLevel.Warning,
        Message = "The agent of host {Host} could not stop the load balancers placed elsewhere while it was away: {Reason}; tried again when it next connects")]
    private static partial void LogLoadBalancerFenceFailed(ILogger logger, string host, string reason);
}

/// <summary>What every host connection of a fleet shares: how to reach hosts, the fleet's options, its clock and log, and the images to send.</summary>
internal sealed record HostLinks(SshConnector Connector, HostsOptions Options, TimeProvider Time, ILogger Logger, Strata.Storage.IObjectStore Images, IHostFencing Fencing);
