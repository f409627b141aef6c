using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Strata.ControlPlane.Secrets;
using Strata.ControlPlane.State;

namespace Strata.ControlPlane;

/// <summary>
/// Records deployment events durably and fans them out to live watchers (<c>strata events --follow</c>,
/// <c>strata up</c> progress). A watcher subscribes first and then replays stored events, so none is missed.
/// Messages are scrubbed of the deployment's secret values before they are stored (see <see cref="SecretScrubber"/>).
/// </summary>
public sealed class EventLog(IStateStore store, TimeProvider time, DeploymentSecrets? secrets = null)
{
    private readonly Lock _gate = new();
    private readonly List<Channel<DeploymentEvent>> _watchers = [];

    public async Task<DeploymentEvent> PublishAsync(
        string deployment, string kind, string message, string? resource = null,
        EventSeverity severity = EventSeverity.Info, CancellationToken cancellationToken = default)
    {
        var stored = await store.AppendEventAsync(new DeploymentEvent
        {
            Deployment = deployment,
            Time = time.GetUtcNow(),
            Kind = kind,
            Resource = resource,
            Severity = severity,
            Message = secrets?.For(deployment).Scrub(message) ?? message,
        }, cancellationToken).ConfigureAwait(false);

        Channel<DeploymentEvent>[] watchers;
        lock (_gate)
        {
            watchers = [.. _watchers];
        }

        foreach (var watcher in watchers)
        {
            watcher.Writer.TryWrite(stored);
        }

        return stored;
    }

    /// <summary>Events of a deployment after <paramref name="afterId"/>, then (with <paramref name="follow"/>) new ones as they happen.</summary>
    public async IAsyncEnumerable<DeploymentEvent> ReadAsync(
        string deployment, long afterId, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<DeploymentEvent>(new UnboundedChannelOptions { SingleReader = true });
        if (follow)
        {
            lock (_gate)
            {
                _watchers.Add(channel);
            }
        }

        try
        {
            // Ids are assigned before events reach watchers, so concurrent publishes may arrive out of id order:
            // live events are told apart from replayed ones by id set, not by order.
            var replayed = new HashSet<long>();
            var last = afterId;
            while (true)
            {
                var page = await store.ReadEventsAsync(deployment, last, 500, cancellationToken).ConfigureAwait(false);
                foreach (var stored in page)
                {
                    last = stored.Id;
                    replayed.Add(stored.Id);
                    yield return stored;
                }

                if (page.Count < 500)
                {
                    break;
                }
            }

            if (!follow)
            {
                yield break;
            }

            await foreach (var live in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                // Events stored between subscribing and the replay above arrive twice; the id tells them apart.
                if (live.Deployment == deployment && live.Id > afterId && replayed.Add(live.Id))
                {
                    yield return live;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }
}
