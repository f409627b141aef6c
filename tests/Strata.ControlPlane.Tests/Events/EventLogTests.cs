using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.State;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Events;

[Trait("kind", "unit")]
public sealed class EventLogTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _clock = new();
    private readonly ControlPlaneServices _services;
    private readonly CancellationTokenSource _stop = new(Eventually.DefaultTimeout);
    private IStateStore _store = null!;

    public EventLogTests() => _services = new ControlPlaneServices(_clock);

    public async Task InitializeAsync() => _store = await _services.InitializedStoreAsync();

    public async Task DisposeAsync()
    {
        _stop.Dispose();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task PublishAsync_Event_IsStoredWithIdAndClockTime()
    {
        var log = new EventLog(_store, _clock);

        var published = await log.PublishAsync("shop", "server.state", "web-1 is in service", "tiers.web.servers[web-1]").WithTimeout();
        var stored = await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout();

        Assert.True(published.Id > 0);
        Assert.Equal(_clock.GetUtcNow(), published.Time);
        Assert.Equal([published], stored);
    }

    [Fact]
    public async Task ReadAsync_FollowStartedBeforePublishing_ReceivesLiveEvents()
    {
        var log = new EventLog(_store, _clock);
        await using var follower = log.ReadAsync("shop", 0, follow: true, _stop.Token).GetAsyncEnumerator(_stop.Token);

        var next = follower.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);
        await log.PublishAsync("other", "server.state", "not for this follower").WithTimeout();
        var first = await log.PublishAsync("shop", "server.state", "first").WithTimeout();

        Assert.True(await next.WithTimeout());
        Assert.Equal(first, follower.Current);

        var second = await log.PublishAsync("shop", "deployment.converged", "second").WithTimeout();
        Assert.True(await follower.MoveNextAsync().AsTask().WithTimeout());
        Assert.Equal(second, follower.Current);
    }

    [Fact]
    public async Task ReadAsync_FollowAfterEventsWereStored_ReplaysThemFirstThenLiveOnes()
    {
        var log = new EventLog(_store, _clock);
        var stored1 = await log.PublishAsync("shop", "server.state", "stored 1").WithTimeout();
        var stored2 = await log.PublishAsync("shop", "server.state", "stored 2").WithTimeout();

        await using var follower = log.ReadAsync("shop", 0, follow: true, _stop.Token).GetAsyncEnumerator(_stop.Token);
        var replayed = await TakeAsync(follower, 2);
        var next = follower.MoveNextAsync().AsTask();
        var live = await log.PublishAsync("shop", "server.state", "live").WithTimeout();

        Assert.Equal([stored1, stored2], replayed);
        Assert.True(await next.WithTimeout());
        Assert.Equal(live, follower.Current);
    }

    [Fact]
    public async Task ReadAsync_AfterId_SkipsEarlierEvents()
    {
        var log = new EventLog(_store, _clock);
        var seen = await log.PublishAsync("shop", "server.state", "seen").WithTimeout();
        var unseen = await log.PublishAsync("shop", "server.state", "unseen").WithTimeout();

        var events = await ToListAsync(log.ReadAsync("shop", seen.Id, follow: false, _stop.Token));

        Assert.Equal([unseen], events);
    }

    [Fact]
    public async Task ReadAsync_WithoutFollow_EndsAfterStoredEvents()
    {
        var log = new EventLog(_store, _clock);
        for (var i = 0; i < 3; i++)
        {
            await log.PublishAsync("shop", "server.state", $"event {i}").WithTimeout();
        }

        var events = await ToListAsync(log.ReadAsync("shop", 0, follow: false, _stop.Token));

        Assert.Equal(["event 0", "event 1", "event 2"], events.Select(e => e.Message));
    }

    [Fact]
    public async Task ReadAsync_MoreStoredEventsThanOnePage_ReplaysAll()
    {
        var log = new EventLog(_store, _clock);
        for (var i = 0; i < 501; i++)
        {
            await _store.AppendEventAsync(new DeploymentEvent { Deployment = "shop", Time = _clock.GetUtcNow(), Kind = "k", Message = $"{i}" }, CancellationToken.None).WithTimeout();
        }

        var events = await ToListAsync(log.ReadAsync("shop", 0, follow: false, _stop.Token));

        Assert.Equal(501, events.Count);
        Assert.Equal("500", events[^1].Message);
    }

    [Fact]
    public async Task ReadAsync_EventPublishedBetweenSubscribingAndReplay_IsDeliveredOnce()
    {
        var store = new PublishingDuringFirstRead(_store);
        var log = new EventLog(store, _clock);
        var before = await log.PublishAsync("shop", "server.state", "before").WithTimeout();
        store.OnFirstRead = () => log.PublishAsync("shop", "server.state", "during replay", cancellationToken: _stop.Token);

        await using var follower = log.ReadAsync("shop", 0, follow: true, _stop.Token).GetAsyncEnumerator(_stop.Token);
        var replayed = await TakeAsync(follower, 2);
        var next = follower.MoveNextAsync().AsTask();
        var after = await log.PublishAsync("shop", "server.state", "after").WithTimeout();

        Assert.Equal(["before", "during replay"], replayed.Select(e => e.Message));
        Assert.Equal(before, replayed[0]);
        Assert.True(await next.WithTimeout());
        Assert.Equal(after, follower.Current);
    }

    [Fact]
    public async Task ReadAsync_ConcurrentPublishesFinishingOutOfIdOrder_DeliversBothOnceInIdOrder()
    {
        var store = new HoldingFirstAppend(_store);
        var log = new EventLog(store, _clock);
        await using var follower = log.ReadAsync("shop", 0, follow: true, _stop.Token).GetAsyncEnumerator(_stop.Token);
        var firstMove = follower.MoveNextAsync().AsTask();

        var slow = log.PublishAsync("shop", "server.state", "slow", cancellationToken: _stop.Token);
        await store.FirstAppended.WithTimeout();
        var fast = await log.PublishAsync("shop", "server.state", "fast").WithTimeout();
        var delivered = new List<DeploymentEvent>();
        Assert.True(await firstMove.WithTimeout());
        delivered.Add(follower.Current);
        delivered.AddRange(await TakeAsync(follower, 1));
        store.ReleaseFirst();
        var slowEvent = await slow.WithTimeout();
        var next = follower.MoveNextAsync().AsTask();
        var later = await log.PublishAsync("shop", "server.state", "later").WithTimeout();

        Assert.Equal([slowEvent, fast], delivered);
        Assert.True(await next.WithTimeout());
        Assert.Equal(later, follower.Current);
    }

    [Fact]
    public async Task ReadAsync_FollowerThatStopsReadingWhileThousandsArePublished_GetsEveryEventInOrderFromTheStore()
    {
        var store = new CountingReads(_store);
        var log = new EventLog(store, _clock);
        await using var follower = log.ReadAsync("shop", 0, follow: true, _stop.Token).GetAsyncEnumerator(_stop.Token);
        var first = follower.MoveNextAsync().AsTask();
        await log.PublishAsync("shop", "server.state", "0").WithTimeout();
        Assert.True(await first.WithTimeout());

        for (var i = 1; i < 1_200; i++)
        {
            await log.PublishAsync("shop", "server.state", $"{i}").WithTimeout();
        }

        var readsBefore = store.Reads;
        var rest = await TakeAsync(follower, 1_199);

        // The 1,199 events behind the follower were queued nowhere: it read them from the store, a page at a time.
        Assert.Equal(Enumerable.Range(1, 1_199).Select(i => $"{i}"), rest.Select(e => e.Message));
        Assert.InRange(store.Reads - readsBefore, 3, 4);
    }

    [Fact]
    public async Task PublishAsync_PastMaxEventsPerDeployment_PrunesTheOldest()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new EventRetentionOptions { MaxEventsPerDeployment = 5, PruneEveryPublishes = 4 });
        var log = new EventLog(_store, _clock, options);
        for (var i = 0; i < 8; i++)
        {
            await log.PublishAsync("shop", "server.state", $"{i}").WithTimeout();
        }

        await log.PublishAsync("other", "server.state", "kept").WithTimeout();

        var left = await ToListAsync(log.ReadAsync("shop", 0, follow: false, _stop.Token));
        Assert.Equal(["3", "4", "5", "6", "7"], left.Select(e => e.Message));
        Assert.Single(await ToListAsync(log.ReadAsync("other", 0, follow: false, _stop.Token)));
    }

    [Fact]
    public async Task PruneAsync_EventsOlderThanMaxAge_AreDeleted()
    {
        var log = new EventLog(_store, _clock, Microsoft.Extensions.Options.Options.Create(new EventRetentionOptions { MaxAge = TimeSpan.FromDays(30) }));
        await log.PublishAsync("shop", "server.state", "old").WithTimeout();
        _clock.Advance(TimeSpan.FromDays(29));
        await log.PublishAsync("shop", "server.state", "recent").WithTimeout();
        _clock.Advance(TimeSpan.FromDays(2));

        var pruned = await log.PruneAsync(CancellationToken.None).WithTimeout();

        Assert.Equal(1, pruned);
        Assert.Equal(["recent"], (await ToListAsync(log.ReadAsync("shop", 0, follow: false, _stop.Token))).Select(e => e.Message));
    }

    private static async Task<List<DeploymentEvent>> TakeAsync(IAsyncEnumerator<DeploymentEvent> events, int count)
    {
        var taken = new List<DeploymentEvent>();
        while (taken.Count < count)
        {
            Assert.True(await events.MoveNextAsync().AsTask().WithTimeout(), $"the stream ended after {taken.Count} events");
            taken.Add(events.Current);
        }

        return taken;
    }

    private static Task<List<DeploymentEvent>> ToListAsync(IAsyncEnumerable<DeploymentEvent> events) => CollectAsync(events).WithTimeout();

    private static async Task<List<DeploymentEvent>> CollectAsync(IAsyncEnumerable<DeploymentEvent> events)
    {
        var list = new List<DeploymentEvent>();
        await foreach (var item in events)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>
    /// The real store, with a hook that runs once just before the first event read: it lets a test publish an event
    /// after a follower subscribed but before its replay reads the store, which no timing can arrange reliably.
    /// </summary>
    private sealed class PublishingDuringFirstRead(IStateStore inner) : IStateStore
    {
        public Func<Task>? OnFirstRead { get; set; }

        public string Name => inner.Name;

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken) =>
            inner.ListDeploymentsAsync(cancellationToken);

        public Task<DeploymentRecord?> GetDeploymentAsync(string name, CancellationToken cancellationToken) =>
            inner.GetDeploymentAsync(name, cancellationToken);

        public Task<DeploymentRecord> SaveDeploymentAsync(DeploymentRecord record, long expectedSerial, CancellationToken cancellationToken) =>
            inner.SaveDeploymentAsync(record, expectedSerial, cancellationToken);

        public Task DeleteDeploymentAsync(string name, CancellationToken cancellationToken) =>
            inner.DeleteDeploymentAsync(name, cancellationToken);

        public Task<DeploymentEvent> AppendEventAsync(DeploymentEvent deploymentEvent, CancellationToken cancellationToken) =>
            inner.AppendEventAsync(deploymentEvent, cancellationToken);

        public Task<int> PruneEventsAsync(int keepPerDeployment, DateTimeOffset olderThan, CancellationToken cancellationToken) =>
            inner.PruneEventsAsync(keepPerDeployment, olderThan, cancellationToken);

        public async Task<IReadOnlyList<DeploymentEvent>> ReadEventsAsync(string deployment, long afterId, int max, CancellationToken cancellationToken)
        {
            if (OnFirstRead is { } hook)
            {
                OnFirstRead = null;
                await hook().WaitAsync(cancellationToken);
            }

            return await inner.ReadEventsAsync(deployment, afterId, max, cancellationToken);
        }
    }

    /// <summary>The real store, holding the first append's answer back until released, as a slow writer would.</summary>
    private sealed class HoldingFirstAppend(IStateStore inner) : IStateStore
    {
        private readonly TaskCompletionSource _firstAppended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _appends;

        public Task FirstAppended => _firstAppended.Task;

        public void ReleaseFirst() => _release.TrySetResult();

        public string Name => inner.Name;

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken) =>
            inner.ListDeploymentsAsync(cancellationToken);

        public Task<DeploymentRecord?> GetDeploymentAsync(string name, CancellationToken cancellationToken) =>
            inner.GetDeploymentAsync(name, cancellationToken);

        public Task<DeploymentRecord> SaveDeploymentAsync(DeploymentRecord record, long expectedSerial, CancellationToken cancellationToken) =>
            inner.SaveDeploymentAsync(record, expectedSerial, cancellationToken);

        public Task DeleteDeploymentAsync(string name, CancellationToken cancellationToken) =>
            inner.DeleteDeploymentAsync(name, cancellationToken);

        public async Task<DeploymentEvent> AppendEventAsync(DeploymentEvent deploymentEvent, CancellationToken cancellationToken)
        {
            var stored = await inner.AppendEventAsync(deploymentEvent, cancellationToken);
            if (Interlocked.Increment(ref _appends) == 1)
            {
                _firstAppended.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            return stored;
        }

        public Task<IReadOnlyList<DeploymentEvent>> ReadEventsAsync(string deployment, long afterId, int max, CancellationToken cancellationToken) =>
            inner.ReadEventsAsync(deployment, afterId, max, cancellationToken);

        public Task<int> PruneEventsAsync(int keepPerDeployment, DateTimeOffset olderThan, CancellationToken cancellationToken) =>
            inner.PruneEventsAsync(keepPerDeployment, olderThan, cancellationToken);
    }

    /// <summary>The real store, counting event reads, to show where a follower's events come from.</summary>
    private sealed class CountingReads(IStateStore inner) : IStateStore
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public string Name => inner.Name;

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken) =>
            inner.ListDeploymentsAsync(cancellationToken);

        public Task<DeploymentRecord?> GetDeploymentAsync(string name, CancellationToken cancellationToken) =>
            inner.GetDeploymentAsync(name, cancellationToken);

        public Task<DeploymentRecord> SaveDeploymentAsync(DeploymentRecord record, long expectedSerial, CancellationToken cancellationToken) =>
            inner.SaveDeploymentAsync(record, expectedSerial, cancellationToken);

        public Task DeleteDeploymentAsync(string name, CancellationToken cancellationToken) =>
            inner.DeleteDeploymentAsync(name, cancellationToken);

        public Task<DeploymentEvent> AppendEventAsync(DeploymentEvent deploymentEvent, CancellationToken cancellationToken) =>
            inner.AppendEventAsync(deploymentEvent, cancellationToken);

        public Task<IReadOnlyList<DeploymentEvent>> ReadEventsAsync(string deployment, long afterId, int max, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            return inner.ReadEventsAsync(deployment, afterId, max, cancellationToken);
        }

        public Task<int> PruneEventsAsync(int keepPerDeployment, DateTimeOffset olderThan, CancellationToken cancellationToken) =>
            inner.PruneEventsAsync(keepPerDeployment, olderThan, cancellationToken);
    }
}
