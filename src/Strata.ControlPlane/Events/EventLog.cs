using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Secrets;
using Strata.ControlPlane.State;

namespace Strata.ControlPlane.Events;

/// <summary>
/// Records deployment events durably and fans them out to live watchers (<c>strata events --follow</c>,
/// <c>strata up</c> progress). A watcher subscribes first and then replays stored events, so none is missed.
/// Messages are scrubbed of the deployment's secret values before they are stored (see <see cref="SecretScrubber"/>).
/// </summary>
/// <remarks>
/// A watcher holds no queue of events: a publish only wakes it (a channel of one pending signal), and it reads what
/// is new from the store. A follower that stops reading therefore costs no memory however many events follow, and
/// it still receives every one, in id order, once. This relies on the store making ids visible in the order it
/// assigns them (SQLite has one writer at a time).
/// </remarks>
public sealed class EventLog(IStateStore store, TimeProvider time, IOptions<EventRetentionOptions> retention, DeploymentSecrets? secrets = null)
{
    private const int PageSize = 500;
    private readonly Lock _gate = new();
    private readonly List<(string Deployment, Channel<bool> Signal)> _watchers = [];
    private long _publishes;

    public EventLog(IStateStore store, TimeProvider time, DeploymentSecrets? secrets = null)
        : this(store, time, Options.Create(new EventRetentionOptions()), secrets)
    {
    }

    /// <param name="kind">One of <see cref="EventKinds"/>.</param>
    public Task<DeploymentEvent> PublishAsync(
        string deployment, string kind, string message, string? resource = null,
        EventSeverity severity = EventSeverity.Info, CancellationToken cancellationToken = default) =>
        PublishAsync(deployment, kind, message, new EventSubject { Resource = resource }, severity, cancellationToken);

    /// <summary>Publishes an event with the structured fields of <paramref name="subject"/>, which readers match on instead of the message.</summary>
    /// <param name="kind">One of <see cref="EventKinds"/>.</param>
    public async Task<DeploymentEvent> PublishAsync(
        string deployment, string kind, string message, EventSubject subject,
        EventSeverity severity = EventSeverity.Info, CancellationToken cancellationToken = default)
    {
        var stored = await store.AppendEventAsync(new DeploymentEvent
        {
            Deployment = deployment,
            Time = time.GetUtcNow(),
            Kind = kind,
            Resource = subject.Resource,
            Severity = severity,
            Message = secrets?.For(deployment).Scrub(message) ?? message,
            Tier = subject.Tier,
            Server = subject.Server,
            FromState = subject.FromState,
            ToState = subject.ToState,
            Rollback = subject.Rollback,
        }, cancellationToken).ConfigureAwait(false);

        Wake(deployment);
        if (Interlocked.Increment(ref _publishes) % retention.Value.PruneEveryPublishes == 0)
        {
            await PruneAsync(cancellationToken).ConfigureAwait(false);
        }

        return stored;
    }

    /// <summary>Deletes events beyond the newest <see cref="EventRetentionOptions.MaxEventsPerDeployment"/> of each deployment and those older than <see cref="EventRetentionOptions.MaxAge"/>.</summary>
    public Task<int> PruneAsync(CancellationToken cancellationToken) =>
        store.PruneEventsAsync(retention.Value.MaxEventsPerDeployment, time.GetUtcNow() - retention.Value.MaxAge, cancellationToken);

    private void Wake(string deployment)
    {
        lock (_gate)
        {
            foreach (var (watched, signal) in _watchers)
            {
                if (watched == deployment)
                {
                    signal.Writer.TryWrite(true);
                }
            }
        }
    }

    /// <summary>Events of a deployment after <paramref name="afterId"/>, then (with <paramref name="follow"/>) new ones as they happen.</summary>
    public async IAsyncEnumerable<DeploymentEvent> ReadAsync(
        string deployment, long afterId, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        var watcher = (deployment, signal);
        if (follow)
        {
            lock (_gate)
            {
                _watchers.Add(watcher);
            }
        }

        try
        {
            var last = afterId;
            while (true)
            {
                IReadOnlyList<DeploymentEvent> page;
                do
                {
                    page = await store.ReadEventsAsync(deployment, last, PageSize, cancellationToken).ConfigureAwait(false);
                    foreach (var stored in page)
                    {
                        last = stored.Id;
                        yield return stored;
                    }
                }
                while (page.Count == PageSize);

                if (!follow)
                {
                    yield break;
                }

                await signal.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(watcher);
            }
        }
    }
}
