using Strata.Backups.Snapshots;
using Strata.ControlPlane.Api.V1;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

[Trait("kind", "unit")]
public sealed class ThrottledProgressTests
{
    private readonly ManualTimeProvider _clock = new();
    private readonly List<long> _written = [];

    private ThrottledProgress Create() => new(p =>
    {
        lock (_written)
        {
            _written.Add(p.FilesRead);
        }

        return Task.CompletedTask;
    }, _clock);

    private static BackupProgress Files(long count) => new(count, count * 100, 0, 0, 0);

    [Fact]
    public async Task Flush_AfterReportsHeldBack_PassesOnTheLastOne()
    {
        var progress = Create();

        progress.Report(Files(0));
        progress.Report(Files(1));
        progress.Report(Files(2));
        await progress.FlushAsync();

        Assert.Equal([0, 2], _written);
    }

    [Fact]
    public async Task Report_AfterTheInterval_PassesOnAtOnce_AndFlushAddsNothing()
    {
        var progress = Create();

        progress.Report(Files(0));
        _clock.Advance(ThrottledProgress.Interval);
        progress.Report(Files(1));
        await progress.FlushAsync();
        await progress.FlushAsync();

        Assert.Equal([0, 1], _written);
    }

    [Fact]
    public async Task Flush_WithoutReports_WritesNothing()
    {
        await Create().FlushAsync();

        Assert.Empty(_written);
    }

    [Fact]
    public async Task Writes_SlowerThanReports_KeepTheirOrder()
    {
        var first = new TaskCompletionSource();
        var order = new List<long>();
        var progress = new ThrottledProgress(async p =>
        {
            if (p.FilesRead == 0)
            {
                await first.Task;
            }

            lock (order)
            {
                order.Add(p.FilesRead);
            }
        }, _clock);

        progress.Report(Files(0));
        _clock.Advance(ThrottledProgress.Interval);
        progress.Report(Files(1));
        var flushed = progress.FlushAsync();
        Assert.False(flushed.IsCompleted);
        first.SetResult();
        await flushed;

        Assert.Equal([0, 1], order);
    }

    [Fact]
    public async Task Flush_AfterAWriteFailed_DoesNotThrow_AndLaterReportsAreStillWritten()
    {
        var progress = new ThrottledProgress(p =>
        {
            if (p.FilesRead == 0)
            {
                throw new IOException("the client went away");
            }

            lock (_written)
            {
                _written.Add(p.FilesRead);
            }

            return Task.CompletedTask;
        }, _clock);

        progress.Report(Files(0));
        progress.Report(Files(1));
        await progress.FlushAsync();

        Assert.Equal([1], _written);
    }
}
