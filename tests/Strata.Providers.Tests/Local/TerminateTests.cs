using System.Diagnostics;
using Strata.Providers.Local;
using Strata.Testing;

namespace Strata.Providers.Tests.Local;

[Trait("kind", "e2e")]
public sealed class TerminateTests : IAsyncLifetime
{
    private readonly LocalProviderHarness _harness = new();
    private MachineImage _image = null!;

    public async Task InitializeAsync() => _image = await _harness.RegisterImageAsync(("a.txt", "a"));

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task TerminateAsync_ServerWithChildProcess_KillsWholeGroupWithinGrace()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "sleep 1000 & sleep 1000"));
        await Eventually.WaitAsync(() => Processes.WithMarker(server.Id).Count >= 3, "the shell and both sleeps");
        var members = Processes.WithMarker(server.Id);
        var clock = Stopwatch.StartNew();

        await _harness.Provider.TerminateAsync(server.Id, TimeSpan.FromSeconds(5), CancellationToken.None).WithTimeout();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"terminate took {clock.Elapsed}");
        Assert.All(members, pid => Assert.False(Processes.IsAlive(pid), $"process {pid} survived"));
        Assert.Null(await _harness.Provider.DescribeServerAsync(server.Id, CancellationToken.None).WithTimeout());
        Assert.False(Directory.Exists(server.RootPath));
    }

    [Fact]
    public async Task TerminateAsync_ServerIgnoringSigterm_KilledAfterGrace()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "trap '' TERM; while :; do sleep 0.05; done"));
        var clock = Stopwatch.StartNew();

        await _harness.Provider.TerminateAsync(server.Id, TimeSpan.FromMilliseconds(400), CancellationToken.None).WithTimeout();

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"SIGKILL came before the grace period ended ({clock.Elapsed})");
        Assert.False(Processes.IsAlive(server.ProcessId!.Value));
        Assert.Empty(Processes.WithMarker(server.Id));
    }

    [Fact]
    public async Task TerminateAsync_LeaderExitsOnSigtermWhileAMemberIgnoresIt_MemberKilledAfterGrace()
    {
        // The leader (the shell, exec'd into sleep) goes at once; the member it left in its group stays on SIGTERM.
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "(trap '' TERM; while :; do sleep 0.05; done) & exec sleep 1000"));
        await Eventually.WaitAsync(() => Processes.WithMarker(server.Id).Count >= 2, "the leader and its stubborn member");
        var clock = Stopwatch.StartNew();

        await _harness.Provider.TerminateAsync(server.Id, TimeSpan.FromMilliseconds(400), CancellationToken.None).WithTimeout();

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"the wait took the leader's exit for the group's ({clock.Elapsed})");
        Assert.Empty(Processes.WithMarker(server.Id));
    }

    [Fact]
    public async Task TerminateAsync_TwiceAndUnknown_DoesNothingMore()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000"));

        await _harness.Provider.TerminateAsync(server.Id, null, CancellationToken.None).WithTimeout();
        await _harness.Provider.TerminateAsync(server.Id, null, CancellationToken.None).WithTimeout();
        await _harness.Provider.TerminateAsync("never-launched", null, CancellationToken.None).WithTimeout();

        Assert.Empty(await _harness.Provider.ListServersAsync(null, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task TerminateAsync_ByFreshProviderAfterRestart_StopsAdoptedServer()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000"));

        await _harness.CreateProvider().TerminateAsync(server.Id, null, CancellationToken.None).WithTimeout();

        Assert.False(Processes.IsAlive(server.ProcessId!.Value));
    }

    [Fact]
    public async Task LaunchAsync_RecordedIntentWithoutProcess_ResumesAndStartsServer()
    {
        var id = LocalProviderHarness.NewId();
        var interrupted = InterruptedRecord(id);
        new ServerRecords(_harness.Options.RootPath).Write(interrupted);

        var server = await _harness.CreateProvider().LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000", id), CancellationToken.None).WithTimeout();

        Assert.Equal(ServerInstanceState.Running, server.State);
        Assert.Equal(interrupted.Address, server.Address);
        Assert.Single(Processes.WithMarker(id));
    }

    // An orphan without STRATA_ENGINE was started by a version of Strata from before processes carried it.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LaunchAsync_ProcessStartedButNotRecorded_AdoptsItInsteadOfStartingAnother(bool taggedWithEngine)
    {
        var id = LocalProviderHarness.NewId();
        var interrupted = InterruptedRecord(id);
        new ServerRecords(_harness.Options.RootPath).Write(interrupted);
        var orphan = StartOrphan(id, taggedWithEngine ? Path.GetFullPath(_harness.Options.RootPath) : null);
        // setsid makes it a group leader only once it runs; until then it is not yet the server a restart would find.
        var markers = new ServerMarkers(Path.GetFullPath(_harness.Options.RootPath));
        await Eventually.WaitAsync(() => markers.FindGroupLeader(id)?.Pid == orphan.Id, "the orphan leads its own session");

        var server = await _harness.CreateProvider().LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000", id), CancellationToken.None).WithTimeout();

        Assert.Equal(ServerInstanceState.Running, server.State);
        Assert.Equal(orphan.Id, server.ProcessId);
        Assert.Equal([orphan.Id], Processes.WithMarker(id));
    }

    private ServerInstance InterruptedRecord(string id) => InterruptedRecord(_harness, _image, id);

    /// <summary>The record of a launch a control plane was killed in, before it started the process or recorded it.</summary>
    internal static ServerInstance InterruptedRecord(LocalProviderHarness harness, MachineImage image, string id)
    {
        var folder = Path.Combine(harness.Options.RootPath, "servers", id);
        return new ServerInstance
        {
            Id = id, Name = id, Deployment = "hello", Tier = "web", Zone = "local-b",
            Address = harness.Options.AddressRangeEnd, ImageId = image.Id, State = ServerInstanceState.Pending,
            LaunchedAt = DateTimeOffset.UnixEpoch, RootPath = Path.Combine(folder, "root"),
            LogPath = Path.Combine(folder, "logs", "server.log"), ConfigPath = Path.Combine(folder, "config.json"),
        };
    }

    /// <summary>A server process as a control plane killed right after starting it would have left it.</summary>
    private static Process StartOrphan(string id, string? engine)
    {
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var argument in new[] { "/bin/sh", "-c", "exec sleep 1000" })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["STRATA_MARKER"] = id;
        if (engine is not null)
        {
            info.Environment["STRATA_ENGINE"] = engine;
        }

        return Process.Start(info)!;
    }
}
