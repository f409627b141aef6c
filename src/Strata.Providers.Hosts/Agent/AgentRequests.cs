using System.Collections.Concurrent;
using Strata.Api.Contracts.Agent;

namespace Strata.Providers.Hosts.Agent;

/// <summary>
/// Requests to one agent and their replies, matched by id. A reply <see cref="AgentFailed"/> throws its error as a
/// <see cref="ProviderException"/>; when the channel ends, every request still waiting fails with the reason.
/// </summary>
internal sealed class AgentRequests(AgentChannel channel, string host)
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<AgentReply>> _pending = new();
    private long _lastId;
    private Exception? _ended;

    /// <summary>Sends the request made for a fresh id and returns its reply.</summary>
    /// <exception cref="ProviderException">The agent could not carry it out, or the channel ended first.</exception>
    public async Task<TReply> AskAsync<TReply>(Func<long, AgentRequest> make, CancellationToken ct)
        where TReply : AgentReply
    {
        var request = make(Interlocked.Increment(ref _lastId));
        var reply = new TaskCompletionSource<AgentReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[request.Id] = reply;
        try
        {
            if (Volatile.Read(ref _ended) is { } ended)
            {
                throw ended;
            }

            await channel.SendAsync(request, ct).ConfigureAwait(false);
            return await reply.Task.WaitAsync(ct).ConfigureAwait(false) switch
            {
                TReply answer => answer,
                AgentFailed failed => throw new ProviderException($"host {host}: {failed.Error}"),
                var other => throw new ProviderException($"host {host} answered a {request.GetType().Name} with a {other.GetType().Name}"),
            };
        }
        catch (IOException ex)
        {
            throw new ProviderException($"host {host} cannot be asked: {ex.Message}", ex);
        }
        finally
        {
            _pending.TryRemove(request.Id, out _);
        }
    }

    /// <summary>Hands a reply to the request waiting for it; a reply nobody waits for any more is dropped.</summary>
    public void Answer(AgentReply reply)
    {
        if (_pending.TryRemove(reply.ReplyTo, out var waiting))
        {
            waiting.TrySetResult(reply);
        }
    }

    /// <summary>The channel ended: every request waiting, and every later one, fails.</summary>
    public void End(string why)
    {
        var ended = new ProviderException($"the connection to host {host} ended ({why}); the request's outcome is unknown until it is back");
        Volatile.Write(ref _ended, ended);
        foreach (var (_, waiting) in _pending)
        {
            waiting.TrySetException(ended);
        }
    }
}
