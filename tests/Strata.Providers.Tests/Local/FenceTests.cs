using System.Diagnostics;
using Strata.Testing;

namespace Strata.Providers.Tests.Local;

/// <summary>
/// A server whose main process died while a child it started (in a session of its own, its environment rewritten,
/// as PostgreSQL's workers are) keeps a file of the volume open: nothing of it may survive before the volume moves on.
/// </summary>
[Trait("kind", "e2e")]
public sealed class FenceTests : IAsyncLifetime
{
    // The child leaves the server's session and drops the marker, then holds a file of the volume open.
    private const string RunWithEscapedChild =
        "env -u STRATA_MARKER setsid sh -c 'exec 3>>\"$STRATA_VOLUME_DATA/lock\"; echo $$ > \"$STRATA_VOLUME_DATA/child.pid\"; exec sleep 1000' & exec sleep 1000";

    private readonly LocalProviderHarness _harness = new();
    private MachineImage _image = null!;

    public async Task InitializeAsync() => _image = await _harness.RegisterImageAsync(("app.txt", "app"));

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task FenceAsync_MainProcessKilledChildHoldsVolume_ChildGoneAndRecordKept()
    {
        var (server, child) = await LaunchAndKillMainAsync();

        await _harness.Provider.FenceAsync(server.Id, CancellationToken.None).WithTimeout();

        Assert.False(Processes.IsAlive(child), $"child {child} still holds the volume");
        Assert.NotNull(await _harness.Provider.DescribeServerAsync(server.Id, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task TerminateAsync_MainProcessKilledChildHoldsVolume_ChildGone()
    {
        var (server, child) = await LaunchAndKillMainAsync();

        await _harness.Provider.TerminateAsync(server.Id, TimeSpan.FromSeconds(1), CancellationToken.None).WithTimeout();

        Assert.False(Processes.IsAlive(child), $"child {child} still holds the volume");
    }

    [Fact]
    public async Task TerminateAsync_VolumeHandedOverToReplacement_ReplacementKeepsRunning()
    {
        var (failed, _) = await LaunchAndKillMainAsync();
        await _harness.Provider.FenceAsync(failed.Id, CancellationToken.None).WithTimeout();
        var replacement = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "cd \"$STRATA_VOLUME_DATA\" && exec sleep 1000") with
        {
            Volumes = failed.Volumes,
        });
        Assert.True(replacement.State == ServerInstanceState.Running, replacement.Message);

        // The failed server is cleaned up after its replacement took over the volume, as the control plane does.
        await _harness.Provider.TerminateAsync(failed.Id, TimeSpan.FromSeconds(1), CancellationToken.None).WithTimeout();

        Assert.True(Processes.IsAlive(replacement.ProcessId!.Value), "terminating the failed server killed its replacement, which works in the volume it took over");
        Assert.Equal(ServerInstanceState.Running, (await _harness.Provider.DescribeServerAsync(replacement.Id, CancellationToken.None).WithTimeout())!.State);
    }

    [Fact]
    public async Task FenceAsync_EarlierHolderOfVolumeNotCleanedUp_ChildHoldingVolumeStillGone()
    {
        var (earlier, _) = await LaunchAndKillMainAsync();
        await _harness.Provider.FenceAsync(earlier.Id, CancellationToken.None).WithTimeout();
        var (failed, child) = await LaunchAndKillMainAsync(earlier.Volumes);

        await _harness.Provider.FenceAsync(failed.Id, CancellationToken.None).WithTimeout();

        Assert.False(Processes.IsAlive(child), $"child {child} of the later server still holds the volume");
    }

    [Fact]
    public async Task FenceAsync_ProcessOutsideServer_LeftAlone()
    {
        using var bystander = Process.Start(new ProcessStartInfo("sleep", "1000") { WorkingDirectory = _harness.Folder.Path })!;
        var (server, _) = await LaunchAndKillMainAsync();

        await _harness.Provider.FenceAsync(server.Id, CancellationToken.None).WithTimeout();

        Assert.True(Processes.IsAlive(bystander.Id), "a process that is not the server's was killed");
        bystander.Kill();
    }

    [Fact]
    public async Task TerminateAsync_ServerWithoutVolumesWhoseEscapedWorkerWorksInItsRoot_WorkerGone()
    {
        // Without volumes only the working folder (and root) of other processes is read: the worker starts in the server's root.
        const string Run = "env -u STRATA_MARKER setsid sh -c 'echo $$ > worker.pid; exec sleep 1000' & exec sleep 1000";
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, Run));
        var pidFile = Path.Combine(server.RootPath, "worker.pid");
        await Eventually.WaitAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "the worker to start");
        var worker = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Process.GetProcessById(server.ProcessId!.Value).Kill();

        await _harness.Provider.TerminateAsync(server.Id, TimeSpan.FromSeconds(1), CancellationToken.None).WithTimeout();

        Assert.False(Processes.IsAlive(worker), $"worker {worker} of the terminated server still runs in its root");
    }

    /// <param name="volumes">The volume to launch with, taken over from an earlier server; a new one when null.</param>
    private async Task<(ServerInstance Server, int Child)> LaunchAndKillMainAsync(IReadOnlyList<VolumeAttachment>? volumes = null)
    {
        var volume = await _harness.Provider.CreateVolumeAsync(
            new VolumeRequest { VolumeId = volumes?[0].VolumeId ?? LocalProviderHarness.NewId("vol"), Name = "data", Deployment = "hello", SizeMiB = 1 }, CancellationToken.None).WithTimeout();
        var pidFile = Path.Combine(volume.Path, "child.pid");
        File.Delete(pidFile);
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, RunWithEscapedChild) with
        {
            Volumes = [new VolumeAttachment(volume.Id, "data")],
        });
        Assert.True(server.State == ServerInstanceState.Running, server.Message);
        await Eventually.WaitAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "the child to hold the volume");
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        Process.GetProcessById(server.ProcessId!.Value).Kill();
        await Eventually.WaitAsync(async () => (await _harness.Provider.DescribeServerAsync(server.Id, CancellationToken.None))!.State == ServerInstanceState.Stopped,
            "the server to be seen dead");
        Assert.True(Processes.IsAlive(child), "the child should outlive the main process");
        return (server, child);
    }
}
