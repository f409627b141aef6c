using Strata.ControlPlane.Backups;
using Strata.Providers;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Backups;

/// <summary>
/// A volume kept on a host is copied here for a snapshot between the image's freeze and thaw hooks: the application
/// pauses while its host reads the volume, not while the copy travels.
/// </summary>
[Trait("kind", "unit")]
public sealed class VolumeWhereaboutsTests
{
    [Fact]
    public async Task CopyHereAsync_ContentTakenOnTheHost_ThawsOnceBeforeTheTransfer()
    {
        var steps = new List<string>();
        var provider = new CopyingProvider(steps);

        await VolumeWhereabouts.CopyHereAsync(provider, "v1", "h1", "/scratch", Step(steps, "freeze"), Step(steps, "thaw"), CancellationToken.None).WithTimeout();

        Assert.Equal(["freeze", "archive written", "thaw", "transferred"], steps);
    }

    [Fact]
    public async Task CopyHereAsync_CopyFailsBeforeTheContentIsTaken_StillThawsOnceAndReportsTheCopysFailure()
    {
        var steps = new List<string>();
        var provider = new CopyingProvider(steps) { FailsBeforeTaken = true };

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            VolumeWhereabouts.CopyHereAsync(provider, "v1", "h1", "/scratch", Step(steps, "freeze"), Step(steps, "thaw"), CancellationToken.None)).WithTimeout();

        Assert.Equal("host h1: its disk is too full", failed.Message);
        Assert.Equal(["freeze", "thaw"], steps);
    }

    [Fact]
    public async Task CopyHereAsync_ThawFails_CopyFinishesAndFailsWithTheThawsError()
    {
        var steps = new List<string>();
        var provider = new CopyingProvider(steps);

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => VolumeWhereabouts.CopyHereAsync(
            provider, "v1", "h1", "/scratch", Step(steps, "freeze"), _ => throw new InvalidOperationException("the thaw hook exited with 1"), CancellationToken.None)).WithTimeout();

        Assert.Equal("the thaw hook exited with 1", failed.Message);
        Assert.Equal(["freeze", "archive written", "transferred"], steps);
    }

    private static Func<CancellationToken, Task> Step(List<string> steps, string name) => _ =>
    {
        steps.Add(name);
        return Task.CompletedTask;
    };

    /// <summary>A provider that keeps volume v1 on host h1 and copies it as a host's agent does: archive, then transfer.</summary>
    private sealed class CopyingProvider(List<string> steps) : PartialProvider, IRemoteVolumes
    {
        public bool FailsBeforeTaken { get; init; }

        public override string Name => "copying";

        public async Task CopyOutAsync(string volumeId, string folder, Func<CancellationToken, Task>? taken, CancellationToken ct)
        {
            if (FailsBeforeTaken)
            {
                throw new ProviderException("host h1: its disk is too full");
            }

            steps.Add("archive written");
            await taken!(ct);
            steps.Add("transferred");
        }

        public Task<string?> HostOfAsync(string volumeId, CancellationToken ct) => Task.FromResult<string?>("h1");

        public Task<string?> LostHostOfAsync(string volumeId, CancellationToken ct) => Task.FromResult<string?>(null);

        public Task CheckConnectedAsync(string volumeId, CancellationToken ct) => Task.CompletedTask;

        public Task CopyInAsync(string volumeId, string folder, CancellationToken ct) => throw new NotSupportedException();

        public Task AbandonAsync(string volumeId, CancellationToken ct) => throw new NotSupportedException();
    }
}
