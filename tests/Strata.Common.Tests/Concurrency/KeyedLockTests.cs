using Strata.Common.Concurrency;

namespace Strata.Common.Tests.Concurrency;

[Trait("kind", "unit")]
public sealed class KeyedLockTests
{
    [Fact]
    public async Task AcquireAsync_SameKey_WaitsForTheHolderAndOtherKeysDoNot()
    {
        var locks = new KeyedLock();
        var held = await locks.AcquireAsync("vol-1", CancellationToken.None);

        var sameKey = locks.AcquireAsync("vol-1", CancellationToken.None);
        var otherKey = locks.AcquireAsync("vol-2", CancellationToken.None);

        Assert.True(otherKey.IsCompletedSuccessfully);
        Assert.False(sameKey.IsCompleted);
        held.Dispose();
        (await sameKey.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        (await otherKey).Dispose();
    }

    [Fact]
    public async Task TryAcquire_HeldKey_ReturnsNullAndLeavesNoTraceOnceReleased()
    {
        var locks = new KeyedLock();
        var held = await locks.AcquireAsync("vol-1", CancellationToken.None);

        Assert.Null(locks.TryAcquire("vol-1"));
        using (var other = locks.TryAcquire("vol-2"))
        {
            Assert.NotNull(other);
        }

        held.Dispose();
        held.Dispose();
        var again = locks.TryAcquire("vol-1");
        Assert.NotNull(again);
        Assert.Null(locks.TryAcquire("vol-1"));
        again.Dispose();
        Assert.Equal(0, locks.Keys);
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileWaiting_ThrowsAndTheLockStillWorks()
    {
        var locks = new KeyedLock();
        var held = await locks.AcquireAsync("vol-1", CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiting = locks.AcquireAsync("vol-1", cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        Assert.Equal(0, locks.Keys);
        using var next = locks.TryAcquire("vol-1");
        Assert.NotNull(next);
    }
}
