using System.Text.Json;
using Strata.Api.Contracts.Agent;

namespace Strata.Agent;

/// <summary>
/// Reads the control plane's lines and carries out each request in its own task, so that a launch that takes a while
/// holds up neither heartbeats nor other requests. A line that is no message, or of a type this agent does not know,
/// is reported on stderr and skipped: a newer control plane must not end an older agent's channel.
/// </summary>
internal sealed class AgentRequests(AgentEngine engine, HealthWatches health, AgentWriter writer, TextWriter error)
{
    private readonly Lock _gate = new();
    private readonly List<Task> _inFlight = [];
    private readonly Dictionary<long, CancellationTokenSource> _follows = [];

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

            if (message is AgentStop)
            {
                return;
            }

            if (message is not null && !Dispatch(message, ct))
            {
                await error.WriteLineAsync($"strata agent: skipped a '{message.GetType().Name}', which is not a request").ConfigureAwait(false);
            }
        }
    }

    /// <summary>Has the message carried out (its work and answer in a task of their own); false when it is no request this agent knows.</summary>
    private bool Dispatch(AgentMessage message, CancellationToken ct)
    {
        switch (message)
        {
            case AgentFollowLog follow:
                // Registered before the next line is read, so that a stop that follows at once finds it.
                var following = Following(follow.Id, ct);
                Track(() => FollowAsync(follow, following, ct));
                break;
            case AgentStopFollow stop:
                StopFollowing(stop.Follow);
                Track(() => AnswerAsync(new AgentDone { ReplyTo = stop.Id }, ct));
                break;
            case AgentRunCommand run:
                // Registered as a follow is, so that a cancel that follows at once finds it.
                var running = Following(run.Id, ct);
                Track(() => RunAsync(run, running, ct));
                break;
            case AgentCancelCommand cancel:
                StopFollowing(cancel.Command);
                Track(() => AnswerAsync(new AgentDone { ReplyTo = cancel.Id }, ct));
                break;
            case AgentWatchHealth watch:
                health.Start(watch);
                Track(() => AnswerAsync(new AgentDone { ReplyTo = watch.Id }, ct));
                break;
            case AgentUnwatchHealth unwatch:
                health.Stop(unwatch.ServerId);
                Track(() => AnswerAsync(new AgentDone { ReplyTo = unwatch.Id }, ct));
                break;
            case AgentTerminate terminate:
                // A server being stopped fails its check: nobody is to hear of it.
                health.Stop(terminate.ServerId);
                Start(terminate, ct);
                break;
            case AgentRequest request:
                Start(request, ct);
                break;
            default:
                return false;
        }

        return true;
    }

    /// <summary>Waits for the requests still being carried out (cancelled by then, when the agent is stopping).</summary>
    public Task WaitForInFlightAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_inFlight);
        }
    }

    private void Start(AgentRequest request, CancellationToken ct) => Track(() => ServeAsync(request, ct));

    private void Track(Func<Task> work)
    {
        lock (_gate)
        {
            _inFlight.RemoveAll(t => t.IsCompleted);
            _inFlight.Add(Task.Run(work, CancellationToken.None));
        }
    }

    private async Task ServeAsync(AgentRequest request, CancellationToken ct) =>
        await AnswerAsync(await engine.HandleAsync(request, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    /// <summary>
    /// Sends the log's lines as they come, each its own message, until the control plane stops the follow, the agent
    /// stops, or the server's log is gone; then answers the request.
    /// </summary>
    private async Task FollowAsync(AgentFollowLog follow, CancellationTokenSource stop, CancellationToken ct)
    {
        using var held = stop;
        AgentReply reply = new AgentDone { ReplyTo = follow.Id };
        try
        {
            await foreach (var line in engine.FollowLogAsync(follow.ServerId, follow.Lines, stop.Token).ConfigureAwait(false))
            {
                await writer.SendAsync(new AgentLogLine { Follow = follow.Id, Line = line }, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            reply = new AgentFailed { ReplyTo = follow.Id, Error = ex.Message };
        }
        finally
        {
            lock (_gate)
            {
                _follows.Remove(follow.Id);
            }
        }

        await AnswerAsync(reply, ct).ConfigureAwait(false);
    }

    /// <summary>Runs a command until it ends, its timeout stops it, or the control plane cancels it; then answers.</summary>
    private async Task RunAsync(AgentRunCommand run, CancellationTokenSource cancel, CancellationToken ct)
    {
        using var held = cancel;
        AgentReply reply;
        try
        {
            reply = await engine.HandleAsync(run, cancel.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _follows.Remove(run.Id);
            }
        }

        await AnswerAsync(reply, ct).ConfigureAwait(false);
    }

    private CancellationTokenSource Following(long follow, CancellationToken ct)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        lock (_gate)
        {
            _follows[follow] = stop;
        }

        return stop;
    }

    private void StopFollowing(long follow)
    {
        lock (_gate)
        {
            if (_follows.Remove(follow, out var stop))
            {
                stop.Cancel();
            }
        }
    }

    private async Task AnswerAsync(AgentReply reply, CancellationToken ct)
    {
        try
        {
            await writer.SendAsync(reply, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            await error.WriteLineAsync($"strata agent: could not answer request {reply.ReplyTo}: {ex.Message}").ConfigureAwait(false);
        }
    }
}
