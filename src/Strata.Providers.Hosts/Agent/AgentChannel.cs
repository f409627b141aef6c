using System.Globalization;
using System.Text;
using System.Text.Json;
using Renci.SshNet;
using Strata.Api.Contracts.Agent;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// The agent running on a host, spoken to through one SSH exec channel: its stdout carries a JSON message per line to
/// <c>onMessage</c>; on dispose it is sent <c>stop</c> and its stdin is closed. <see cref="Completion"/> ends when the channel
/// does, whether the agent exited or the connection died.
/// </summary>
internal sealed class AgentChannel : IAsyncDisposable
{
    private const int KeptErrorChars = 4000;

    /// <summary>How long closing the channel waits for the agent to take its stop request and exit.</summary>
    internal static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly SshCommand _command;
    private readonly Stream _input;
    private readonly Task _execution;
    private readonly StringBuilder _errors = new();

    private AgentChannel(SshCommand command, Func<AgentMessage, Task> onMessage)
    {
        _command = command;
        _execution = command.ExecuteAsync();
        _input = command.CreateInputStream();
        _ = KeepErrorsAsync(command.ExtendedOutputStream);
        Completion = ReadMessagesAsync(command.OutputStream, onMessage);
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

    /// <summary>Starts the agent installed in <paramref name="folder"/> with <paramref name="runtime"/>.</summary>
    public static AgentChannel Start(SshClient client, string runtime, string folder, TimeSpan heartbeatInterval, Func<AgentMessage, Task> onMessage)
    {
        var heartbeatMs = ((long)heartbeatInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var command = client.CreateCommand(
            $"exec {Quote(runtime)} {Quote($"{folder}/bin/{AgentInstaller.EntryAssembly}")} --folder {Quote(folder)} --heartbeat-ms {heartbeatMs}");
        return new AgentChannel(command, onMessage);
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
            var stop = JsonSerializer.SerializeToUtf8Bytes<AgentMessage>(new AgentStop(), AgentJsonContext.Default.AgentMessage);
            _input.Write([.. stop, (byte)'\n']);
            _input.Dispose();
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

    private static async Task ReadMessagesAsync(Stream output, Func<AgentMessage, Task> onMessage)
    {
        await Task.Yield();
        using var reader = new StreamReader(output, Encoding.UTF8);
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var message = JsonSerializer.Deserialize(line, AgentJsonContext.Default.AgentMessage)
                ?? throw new InvalidDataException($"the agent sent 'null' instead of a message");
            await onMessage(message).ConfigureAwait(false);
        }
    }

    private async Task KeepErrorsAsync(Stream errors)
    {
        await Task.Yield();
        using var reader = new StreamReader(errors, Encoding.UTF8);
        var buffer = new char[1024];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
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
