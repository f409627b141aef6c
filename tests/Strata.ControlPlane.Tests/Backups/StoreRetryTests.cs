using Microsoft.Extensions.Options;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Events;
using Strata.ControlPlane.State;
using Strata.Storage;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

[Trait("kind", "unit")]
public sealed class StoreRetryTests : IAsyncLifetime
{
    private static readonly TimeSpan s_firstDelay = TimeSpan.FromSeconds(10);
    private readonly ManualTimeProvider _clock = new();
    private readonly ControlPlaneServices _services;
    private IStateStore _store = null!;

    public StoreRetryTests() => _services = new ControlPlaneServices(_clock);

    public async Task InitializeAsync() => _store = await _services.InitializedStoreAsync();

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task ExecuteAsync_StoreStaysUnreachable_BacksOffWithinJitterBoundsThenThrowsTheStoreError()
    {
        var retry = Retry(attempts: 4);
        var calls = 0;

        var running = retry.ExecuteAsync<int>("shop", "upload of hourly-dump", _ =>
        {
            Interlocked.Increment(ref calls);
            throw Unavailable();
        }, CancellationToken.None);

        var expected = s_firstDelay;
        for (var attempt = 1; attempt < 4; attempt++)
        {
            var wait = await NextWaitAsync();
            Assert.InRange(wait, expected * 0.8, expected * 1.2);
            _clock.Advance(wait - TimeSpan.FromTicks(1));
            Assert.Equal(attempt, Volatile.Read(ref calls));
            _clock.Advance(TimeSpan.FromTicks(1));
            var next = attempt + 1;
            await Eventually.WaitAsync(() => Volatile.Read(ref calls) == next, $"attempt {next}");
            expected *= 2;
        }

        var error = await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => running.WithTimeout());
        Assert.Contains("127.0.0.1:9", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, calls);
        Assert.Null(_clock.NextTimerDueAt);
        var events = await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout();
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal("backup.store-unavailable", e.Kind));
        Assert.All(events, e => Assert.Equal(EventSeverity.Warning, e.Severity));
        Assert.All(events.Select((e, i) => (e, i)), x => Assert.Contains($"attempt {x.i + 1} of 4, retrying in", x.e.Message, StringComparison.Ordinal));
        Assert.All(events, e => Assert.StartsWith("upload of hourly-dump: the backup store is unreachable", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExecuteAsync_ManyAttempts_WaitsNoLongerThanTheCap()
    {
        var cap = TimeSpan.FromSeconds(30);
        var retry = new StoreRetry(Options.Create(new BackupOptions { StoreAttempts = 6, StoreRetryDelay = s_firstDelay, StoreMaxRetryDelay = cap }), _services.Get<EventLog>(), _clock);
        var calls = 0;

        var running = retry.ExecuteAsync<int>("shop", "upload", _ =>
        {
            Interlocked.Increment(ref calls);
            throw Unavailable();
        }, CancellationToken.None);
        var waits = new List<TimeSpan>();
        for (var attempt = 1; attempt < 6; attempt++)
        {
            var wait = await NextWaitAsync();
            waits.Add(wait);
            _clock.Advance(wait);
            var next = attempt + 1;
            await Eventually.WaitAsync(() => Volatile.Read(ref calls) == next, $"attempt {next}");
        }

        await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => running.WithTimeout());
        Assert.InRange(waits[1], s_firstDelay * 2 * 0.8, s_firstDelay * 2);
        Assert.All(waits[2..], w => Assert.InRange(w, cap * 0.8, cap));
    }

    [Fact]
    public async Task ExecuteAsync_StoreComesBack_ReturnsTheResult()
    {
        var retry = Retry(attempts: 4);
        var calls = 0;

        var running = retry.ExecuteAsync("shop", "snapshot of db/data", _ =>
            Interlocked.Increment(ref calls) == 1 ? throw Unavailable() : Task.FromResult("manifest"), CancellationToken.None);
        _clock.Advance(await NextWaitAsync());

        Assert.Equal("manifest", await running.WithTimeout());
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task ExecuteAsync_OtherFailure_IsNotRetried()
    {
        var retry = Retry(attempts: 4);
        var calls = 0;

        var error = await Assert.ThrowsAsync<IOException>(() => retry.ExecuteAsync<int>("shop", "upload", _ =>
        {
            calls++;
            throw new IOException("disk full");
        }, CancellationToken.None).WithTimeout());

        Assert.Equal("disk full", error.Message);
        Assert.Equal(1, calls);
        Assert.Empty(await _store.ReadEventsAsync("shop", 0, 10, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task ExecuteAsync_SingleAttempt_FailsAtOnceWithoutWaiting()
    {
        var retry = Retry(attempts: 1);

        await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => retry.ExecuteAsync<int>("shop", "upload", _ => throw Unavailable(), CancellationToken.None).WithTimeout());

        Assert.Null(_clock.NextTimerDueAt);
    }

    [Fact]
    public async Task ExecuteAsync_CancelledWhileWaiting_StopsRetrying()
    {
        var retry = Retry(attempts: 4);
        using var cancel = new CancellationTokenSource();
        var calls = 0;

        var running = retry.ExecuteAsync<int>("shop", "upload", _ =>
        {
            Interlocked.Increment(ref calls);
            throw Unavailable();
        }, cancel.Token);
        await NextWaitAsync();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WithTimeout());
        Assert.Equal(1, calls);
    }

    private StoreRetry Retry(int attempts) =>
        new(Options.Create(new BackupOptions { StoreAttempts = attempts, StoreRetryDelay = s_firstDelay }), _services.Get<EventLog>(), _clock);

    /// <summary>How long the retry waits, once it has started waiting on the clock.</summary>
    private async Task<TimeSpan> NextWaitAsync()
    {
        await Eventually.WaitAsync(() => _clock.NextTimerDueAt is not null, "the retry to wait");
        return _clock.NextTimerDueAt!.Value - _clock.GetUtcNow();
    }

    private static ObjectStoreUnavailableException Unavailable() =>
        new("s3", "http://127.0.0.1:9", "put 'k'", 3, new HttpRequestException("connection refused"));
}
