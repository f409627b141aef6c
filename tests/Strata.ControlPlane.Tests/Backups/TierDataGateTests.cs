using Strata.ControlPlane.Backups;
using Strata.ControlPlane.Deployments;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

[Trait("kind", "unit")]
public sealed class TierDataGateTests
{
    [Fact]
    public async Task Enter_TierHeld_RefusedNamingTheWorkUnderWay_OtherTiersFree()
    {
        var gate = new TierDataGate();
        using var backup = await gate.EnterAsync("db", "a snapshot backup (nightly)", null, CancellationToken.None).WithTimeout();

        var refused = Assert.Throws<ConflictException>(() => gate.Enter("db", "a restore from snapshot s1"));
        using var other = gate.Enter("cache", "a restore from snapshot s2");

        Assert.Equal("a snapshot backup (nightly) of tier db is under way; try again when it has ended (see `strata events`)", refused.Message);
    }

    [Fact]
    public async Task EnterAsync_TierHeld_WaitsUntilReleasedThenHolds()
    {
        var gate = new TierDataGate();
        var restore = gate.Enter("db", "a restore from snapshot s1");

        var backup = gate.EnterAsync("db", "a snapshot backup (nightly)", null, CancellationToken.None);

        Assert.False(backup.IsCompleted);
        Assert.Equal(1, gate.WaitingFor("db"));
        restore.Dispose();
        restore.Dispose();
        using var held = await backup.WithTimeout();
        Assert.Equal(0, gate.WaitingFor("db"));
        Assert.Contains("a snapshot backup (nightly) of tier db", Assert.Throws<ConflictException>(() => gate.Enter("db", "a restore")).Message);
    }

    [Fact]
    public async Task EnterAsync_TierHeldOrFree_TellsWhatItWaitsForOnlyWhenItWaits()
    {
        var gate = new TierDataGate();
        var told = new List<string>();
        Task Busy(string what)
        {
            told.Add(what);
            return Task.CompletedTask;
        }

        using (await gate.EnterAsync("db", "a snapshot backup (nightly)", Busy, CancellationToken.None).WithTimeout())
        {
            Assert.Empty(told);
        }

        var restore = gate.Enter("db", "a restore from snapshot s1");
        var backup = gate.EnterAsync("db", "a snapshot backup (nightly)", Busy, CancellationToken.None);
        restore.Dispose();
        using var held = await backup.WithTimeout();

        Assert.Equal(["a restore from snapshot s1"], told);
    }

    [Fact]
    public async Task EnterAsync_CancelledWhileWaiting_HoldsNothing()
    {
        var gate = new TierDataGate();
        var restore = gate.Enter("db", "a restore from snapshot s1");
        using var cancel = new CancellationTokenSource();

        var backup = gate.EnterAsync("db", "a snapshot backup (nightly)", null, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backup).WithTimeout();
        Assert.Equal(0, gate.WaitingFor("db"));
        restore.Dispose();
        using var next = gate.Enter("db", "a restore from snapshot s2");
    }
}
