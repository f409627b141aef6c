using System.Globalization;
using System.Text.Json;
using Strata.Api.Contracts.Agent;

namespace Strata.Agent;

/// <summary>
/// The agent on a host: says hello with what the host has, then sends a heartbeat every interval until the control
/// plane sends <c>stop</c> or its stdin ends (the SSH channel closed, or the connection died), and exits.
/// </summary>
public static class AgentProgram
{
    public static Task<int> Main(string[] args) =>
        RunAsync(args, Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error, TimeProvider.System, CancellationToken.None);

    public static async Task<int> RunAsync(string[] args, Stream input, Stream output, TextWriter error, TimeProvider time, CancellationToken ct)
    {
        if (!AgentArguments.TryParse(args, out var arguments, out var problem))
        {
            await error.WriteLineAsync($"strata agent: {problem}").ConfigureAwait(false);
            return 2;
        }

        var writer = new AgentWriter(output);
        await writer.SendAsync(HostMeasurements.Hello(arguments.Folder), ct).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeats = SendHeartbeatsAsync(writer, arguments.HeartbeatInterval, time, stop.Token);
        var inputEnded = ReadRequestsAsync(input, error, stop.Token);
        var first = await Task.WhenAny(heartbeats, inputEnded).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(heartbeats, inputEnded).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException ex) when (first == heartbeats)
        {
            // Nobody reads any more: the channel is gone, so the agent's work is over.
            await error.WriteLineAsync($"strata agent: the channel closed: {ex.Message}").ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task SendHeartbeatsAsync(AgentWriter writer, TimeSpan interval, TimeProvider time, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, time);
        for (long sequence = 1; await timer.WaitForNextTickAsync(ct).ConfigureAwait(false); sequence++)
        {
            await writer.SendAsync(new AgentHeartbeat { Sequence = sequence }, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Ends at <c>stop</c> or at the end of the input; a line that is not a request is reported and skipped.</summary>
    private static async Task ReadRequestsAsync(Stream input, TextWriter error, CancellationToken ct)
    {
        using var reader = new StreamReader(input);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            AgentMessage? request;
            try
            {
                request = line.Length == 0 ? null : JsonSerializer.Deserialize(line, AgentJsonContext.Default.AgentMessage);
            }
            catch (JsonException ex)
            {
                await error.WriteLineAsync($"strata agent: skipped a line that is not a request: {ex.Message}").ConfigureAwait(false);
                continue;
            }

            if (request is AgentStop)
            {
                return;
            }
        }
    }
}

/// <summary>Writes one message per line; heartbeats and answers may come from different tasks, so writes are serialized.</summary>
internal sealed class AgentWriter(Stream output)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task SendAsync(AgentMessage message, CancellationToken ct)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(message, AgentJsonContext.Default.AgentMessage);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await output.WriteAsync(line, ct).ConfigureAwait(false);
            output.WriteByte((byte)'\n');
            await output.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>The agent's command line: <c>--folder DIR</c> (where it lives) and <c>--heartbeat-ms N</c>.</summary>
internal sealed record AgentArguments(string Folder, TimeSpan HeartbeatInterval)
{
    public static bool TryParse(string[] args, out AgentArguments arguments, out string? problem)
    {
        arguments = new AgentArguments(".", TimeSpan.FromSeconds(1));
        problem = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--folder" when value is not null:
                    arguments = arguments with { Folder = value };
                    i++;
                    break;
                case "--heartbeat-ms" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0:
                    arguments = arguments with { HeartbeatInterval = TimeSpan.FromMilliseconds(ms) };
                    i++;
                    break;
                default:
                    problem = $"'{args[i]}' is not understood; use --folder DIR and --heartbeat-ms N (N > 0)";
                    return false;
            }
        }

        return true;
    }
}
