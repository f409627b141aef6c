using System.Text.Json;
using Strata.Api.Contracts.Agent;

namespace Strata.Agent;

/// <summary>
/// Reads the control plane's lines and carries out each request in its own task, so that a launch that takes a while
/// holds up neither heartbeats nor other requests. A line that is no message, or of a type this agent does not know,
/// is reported on stderr and skipped: a newer control plane must not end an older agent's channel.
/// </summary>
internal sealed class AgentRequests(AgentEngine engine, AgentWriter writer, TextWriter error)
{
    private readonly Lock _gate = new();
    private readonly List<Task> _inFlight = [];

    /// <summary>Ends at <c>stop</c> or at the end of the input.</summary>
    public async Task ReadAsync(Stream input, CancellationToken ct)
    {
        using var reader = new StreamReader(input);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            AgentMessage? message;
            try
            {
                message = line.Length == 0 ? null : JsonSerializer.Deserialize(line, AgentJsonContext.Default.AgentMessage);
            }
            catch (JsonException ex)
            {
                await error.WriteLineAsync($"strata agent: skipped a line that is not a request: {ex.Message}").ConfigureAwait(false);
                continue;
            }

            switch (message)
            {
                case AgentStop:
                    return;
                case AgentRequest request:
                    Start(request, ct);
                    break;
                case not null:
                    await error.WriteLineAsync($"strata agent: skipped a '{message.GetType().Name}', which is not a request").ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>Waits for the requests still being carried out (cancelled by then, when the agent is stopping).</summary>
    public Task WaitForInFlightAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_inFlight);
        }
    }

    private void Start(AgentRequest request, CancellationToken ct)
    {
        lock (_gate)
        {
            _inFlight.RemoveAll(t => t.IsCompleted);
            _inFlight.Add(Task.Run(() => ServeAsync(request, ct), CancellationToken.None));
        }
    }

    private async Task ServeAsync(AgentRequest request, CancellationToken ct)
    {
        var reply = await engine.HandleAsync(request, ct).ConfigureAwait(false);
        try
        {
            await writer.SendAsync(reply, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            await error.WriteLineAsync($"strata agent: could not answer request {request.Id}: {ex.Message}").ConfigureAwait(false);
        }
    }
}
