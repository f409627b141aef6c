using Renci.SshNet;
using Renci.SshNet.Common;
using Strata.Api.Contracts.Agent;
using Strata.Providers.Hosts.Agent;
using Strata.Providers.Hosts.Ssh;

namespace Strata.Providers.Hosts.Fleet;

/// <summary>One host's SSH connection and the agent channel on it, with what the agent has said.</summary>
internal sealed class HostConnection : IAsyncDisposable
{
    private readonly SshClient _client;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<AgentHello> _hello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private AgentChannel? _channel;
    private long _lastHeartbeatTicks;

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

    /// <summary>Ends when the agent channel does.</summary>
    public Task Completion => _channel?.Completion ?? Task.CompletedTask;

    /// <summary>Logs in, installs the agent, starts it and waits for its hello.</summary>
    /// <exception cref="HostConnectException">Any step failed; the message says which and why.</exception>
    public static async Task<HostConnection> OpenAsync(HostRegistration host, bool acceptNewHostKey, SshConnector connector, HostsOptions options, TimeProvider time, CancellationToken ct)
    {
        var client = await connector.ConnectAsync(host.Login, acceptNewHostKey, ct).ConfigureAwait(false);
        var connection = new HostConnection(host, client, time);
        try
        {
            var folder = await InstallAsync(connector, host, ct).ConfigureAwait(false);
            connection._channel = AgentChannel.Start(client, host.AgentRuntime, folder, options.HeartbeatInterval, connection.OnMessageAsync);
            await connection.WaitForHelloAsync(options.HelloTimeout, ct).ConfigureAwait(false);
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

    private static async Task<string> InstallAsync(SshConnector connector, HostRegistration host, CancellationToken ct)
    {
        using var sftp = await connector.ConnectSftpAsync(host.Login, ct).ConfigureAwait(false);
        try
        {
            return await AgentInstaller.InstallAsync(sftp, host.AgentDir, ct).ConfigureAwait(false);
        }
        catch (SshException ex)
        {
            throw new HostConnectException(HostConnectFailure.AgentFailed,
                $"cannot install the agent in {host.AgentDir} on {host.Login.Target}: {ex.Message}. Give a folder the login may write with --agent-dir", ex);
        }
    }

    private async Task WaitForHelloAsync(TimeSpan timeout, CancellationToken ct)
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

        if (first == _hello.Task)
        {
            return;
        }

        var why = channel.Completion.Exception?.InnerException?.Message ?? channel.Errors;
        throw new HostConnectException(HostConnectFailure.AgentFailed,
            $"the agent on {Registration.Login.Target} stopped before saying hello: {(why.Length > 0 ? why : "it wrote nothing")}. "
            + $"The host needs the .NET {Environment.Version.Major} runtime: `dotnet` on the login's PATH, or its path with --agent-runtime");
    }

    private Task OnMessageAsync(AgentMessage message)
    {
        Interlocked.Exchange(ref _lastHeartbeatTicks, _time.GetUtcNow().UtcTicks);
        if (message is AgentHello hello)
        {
            _hello.TrySetResult(hello);
        }

        return Task.CompletedTask;
    }
}
