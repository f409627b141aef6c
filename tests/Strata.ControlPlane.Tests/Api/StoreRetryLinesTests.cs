using Strata.Api.Contracts;
using Strata.ControlPlane.Api.V1;
using Strata.Storage;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Api;

[Trait("kind", "unit")]
public sealed class StoreRetryLinesTests
{
    private static readonly ObjectStoreRetry s_retry = new("s3", "http://127.0.0.1:9000/b", "put 'k'", 1, 6, TimeSpan.FromMilliseconds(300), "Connection refused");

    [Fact]
    public async Task ObserveAsync_RetriesWithinASecond_OneLineThenTheNextAfterTheSecond()
    {
        var time = new ManualTimeProvider();
        var written = new List<string>();
        var lines = new StoreRetryLines(line => { written.Add(line.Waiting!); return Task.CompletedTask; }, time);

        await lines.ObserveAsync(s_retry);
        time.Advance(TimeSpan.FromMilliseconds(900));
        await lines.ObserveAsync(s_retry with { Attempt = 2 });
        time.Advance(TimeSpan.FromMilliseconds(100));
        await lines.ObserveAsync(s_retry with { Attempt = 3 });

        Assert.Equal(2, written.Count);
        Assert.Equal("the s3 object store at http://127.0.0.1:9000/b failed (Connection refused); trying again in 0.3s (attempt 2 of 6)", written[0]);
        Assert.EndsWith("(attempt 4 of 6)", written[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ObserveAsync_ClientNotReading_DoesNotWaitForTheWriteAndSkipsLinesMeanwhile()
    {
        var time = new ManualTimeProvider();
        var stuck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writes = 0;
        var lines = new StoreRetryLines(_ => { writes++; return stuck.Task; }, time);

        var observed = lines.ObserveAsync(s_retry);
        time.Advance(TimeSpan.FromSeconds(5));
        await lines.ObserveAsync(s_retry);

        Assert.True(observed.IsCompleted, "the retry waited for the client");
        Assert.Equal(1, writes);
        var closing = lines.CloseAsync();
        Assert.False(closing.IsCompleted, "closing did not wait for the line being written");
        stuck.SetResult();
        await closing.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ObserveAsync_AfterClose_WritesNothing()
    {
        var written = 0;
        var lines = new StoreRetryLines(_ => { written++; return Task.CompletedTask; }, new ManualTimeProvider());

        await lines.CloseAsync();
        await lines.ObserveAsync(s_retry);

        Assert.Equal(0, written);
    }

    [Fact]
    public async Task CloseAsync_LineFailedBecauseTheClientLeft_DoesNotThrow()
    {
        var lines = new StoreRetryLines(_ => Task.FromException(new IOException("connection reset")), new ManualTimeProvider());

        await lines.ObserveAsync(s_retry);

        await lines.CloseAsync();
    }
}
