using System.Diagnostics;
using Strata.Providers.Probes;

namespace Strata.Providers.Tests.Probes;

/// <summary>The probe threads run every probe posted to them, also when threads end and wake around each post.</summary>
[Trait("kind", "unit")]
public sealed class ProbeWorkersTests
{
    [Fact]
    public async Task Post_WhileThreadsTimeOutAndEnd_EveryProbeRunsAtOnce()
    {
        // An idle timeout about as long as the pauses between posts, so that threads keep ending and waking while
        // probes are posted: a post must never be left for a thread that is no longer waiting.
        var workers = new ProbeWorkers(2, TimeSpan.FromMilliseconds(2));
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 300; i++)
        {
            var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var posted = Stopwatch.GetTimestamp();
            workers.Post(() => ran.SetResult());
            await ran.Task.WaitAsync(TimeSpan.FromSeconds(10));
            var took = Stopwatch.GetElapsedTime(posted);
            slowest = took > slowest ? took : slowest;
            Thread.Sleep(i % 4);
        }

        Assert.True(slowest < TimeSpan.FromSeconds(1), $"a posted probe waited {slowest.TotalMilliseconds:0} ms for a thread");
        Assert.Equal(0, workers.Waiting);
    }

    [Fact]
    public async Task Post_MoreProbesThanTheLimit_NoMoreRunAtOnceAndAllRun()
    {
        var workers = new ProbeWorkers(3);
        var (running, most, done) = (0, 0, 0);
        var gate = new object();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < 30; i++)
        {
            workers.Post(() =>
            {
                lock (gate)
                {
                    most = Math.Max(most, ++running);
                }

                Thread.Sleep(5);
                lock (gate)
                {
                    running--;
                    if (++done == 30)
                    {
                        all.SetResult();
                    }
                }
            });
        }

        await all.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(3, most);
    }
}
