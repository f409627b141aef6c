using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Renci.SshNet;
using Strata.Api.Contracts.Agent;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// The agent running on a host, spoken to through one SSH exec channel: its stdout carries a JSON message per line to
/// <c>onMessage</c>, and <see cref="SendAsync"/> writes requests on its stdin; on dispose it is sent <c>stop</c> and its
/// stdin is closed. <see cref="Completion"/> ends when the channel does, whether the agent exited or the connection died.
/// A line the control plane cannot read (a newer agent's message type, say) is logged and skipped.
/// </summary>
internal sealed partial class AgentChannel : IAsyncDisposable
{
    private const int KeptErrorChars = 4000;

    /// <summary>How long closing the channel waits for the agent to take its stop request and exit.</summary>
    internal static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly SshCommand _command;
    private readonly Stream _input;
    private readonly Task _execution;
    private readonly StringBuilder _errors = new();
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly ILogger _logger;
    private readonly string _host;

    private AgentChannel(SshCommand command, string host, ILogger logger, Func<AgentMessage, Task> onMessage)
    {
        _command = command;
        _host = host;
        _logger = logger;
        _execution = command.ExecuteAsync();
        _input = command.CreateInputStream();
        // SSH.NET's channel streams block a thread on every read, async or not: each reader gets a thread of its own.
        // On the thread pool, two blocked readers per host starved it: with a few hosts, heartbeats already read
        // waited seconds for a thread (hosts turned unreachable) and a new host's hello timed out.
        _ = OnOwnThread(() => KeepErrors(command.ExtendedOutputStream));
        Completion = OnOwnThread(() => ReadMessages(command.OutputStream, onMessage));
    }

    /// <summary>Ends when the channel's output does; faults when a line is not a message.</summary>
    public Task Completion { get; }

    /// <summary>The last of what the agent wrote on stderr (why it did not start, typically).</summary>
    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString().Trim();
            }
        }
    }

    /// <summary>
    /// Starts the agent installed in the folder of <paramref name="start"/>, which its servers get the address and zone of.
    /// </summary>
    public static AgentChannel Start(SshClient client, AgentStart start, ILogger logger, Func<AgentMessage, Task> onMessage)
    {
        var heartbeatMs = ((long)start.HeartbeatInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var command = client.CreateCommand(
            $"exec {Quote(start.Runtime)} {Quote($"{start.Folder}/bin/{AgentInstaller.EntryAssembly}")} --folder {Quote(start.Folder)} "
            + $"--heartbeat-ms {heartbeatMs} --address {Quote(start.Address)} --zone {Quote(start.Zone)} --host {Quote(start.Host)}");
        return new AgentChannel(command, start.Host, logger, onMessage);
    }

    /// <summary>Writes one message on the agent's stdin.</summary>
    /// <exception cref="IOException">The channel is closed or broken.</exception>
    public async Task SendAsync(AgentMessage message, CancellationToken ct)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(message, AgentJsonContext.Default.AgentMessage).Append((byte)'\n').ToArray();
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _input.WriteAsync(line, ct).ConfigureAwait(false);
            await _input.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Renci.SshNet.Common.SshException or ObjectDisposedException or InvalidOperationException)
        {
            throw new IOException($"the channel to the agent on {_host} is closed: {ex.Message}", ex);
        }
        finally
        {
            _writes.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A channel whose output has ended has no agent left to tell: it exited, or the connection died. Writing to it
        // anyway can block inside SSH.NET (its EOF on a connection going down was seen to wait 30 s and more when a
        // host lost power), which held up the host's reconnection.
        if (!Completion.IsCompleted)
        {
            await StopAgentAsync().ConfigureAwait(false);
        }

        _command.Dispose();
    }

    /// <summary>Asks the agent to stop and waits for it to exit, for at most <see cref="StopTimeout"/> in all.</summary>
    private async Task StopAgentAsync()
    {
        // SSH.NET's channel streams block a thread while they write; the request runs on its own so that the wait is
        // bounded even when the connection dies half-way. Closing the channel afterwards ends whatever is left.
        var request = Task.Run(() =>
        {
            // SSH.NET sends EOF on closing the input only after something was written on it: the stop request is both.
            // It takes the write gate so that it never lands inside a request being written.
            var stop = JsonSerializer.SerializeToUtf8Bytes<AgentMessage>(new AgentStop(), AgentJsonContext.Default.AgentMessage);
            _writes.Wait();
            try
            {
                _input.Write([.. stop, (byte)'\n']);
                _input.Dispose();
            }
            finally
            {
                _writes.Release();
            }
        });
        _ = request.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        try
        {
            await Task.WhenAll(request, _execution).WaitAsync(StopTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or Renci.SshNet.Common.SshException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            // The agent did not exit in time, or the channel or the connection is gone already: closing the channel
            // ends it either way.
        }
    }

    /// <summary>Quotes a word for the login shell: single quotes, with any single quote spelled <c>'\''</c>.</summary>
    internal static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static Task OnOwnThread(Action read) =>
        Task.Factory.StartNew(read, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    private void ReadMessages(Stream output, Func<AgentMessage, Task> onMessage)
    {
        using var reader = new StreamReader(output, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            AgentMessage? message;
            try
            {
                message = line.Length == 0 ? null : JsonSerializer.Deserialize(line, AgentJsonContext.Default.AgentMessage);
            }
            catch (JsonException ex)
            {
                LogSkipped(_logger, _host, ex.Message);
                continue;
            }

            if (message is not null)
            {
                // Handlers only record what was said and hand replies on; they complete at once.
                onMessage(message).GetAwaiter().GetResult();
            }
        }
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Warning, Message = "Skipped a line from the agent on {Host} that is not a message this control plane knows: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string host, string reason);

    private void KeepErrors(Stream errors)
    {
        using var reader = new StreamReader(errors, Encoding.UTF8);
        var buffer = new char[1024];
        try
        {
            int read;
            while ((read = reader.Read(buffer)) > 0)
            {
                lock (_errors)
                {
                    _errors.Append(buffer, 0, read);
                    _errors.Remove(0, Math.Max(0, _errors.Length - KeptErrorChars));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The channel went away; what was kept so far is all there is.
        }
    }
}

/// <summary>How to start the agent on a host: what runs it, where it lives, and the address and zone its servers get.</summary>
internal sealed record AgentStart(string Host, string Runtime, string Folder, TimeSpan HeartbeatInterval, string Address, string Zone);
