using System.Diagnostics;
using Strata.Common.Processes;
using Strata.Testing;

namespace Strata.Common.Tests.Processes;

[Trait("kind", "e2e")]
public sealed class ProcessSupervisorTests : IDisposable
{
    private const string Marker = "STRATA_TEST_MARKER";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private readonly TemporaryDirectory _folder = new("strata-supervisor");
    private readonly string _id = $"test-{Guid.NewGuid():N}";
    private readonly List<Process> _started = [];

    public void Dispose()
    {
        foreach (var process in _started)
        {
            // The detached process leads its own group: take down whatever it started too.
            ProcessSignals.SendToGroup(process.Id, ProcessSignals.Kill);
            process.Dispose();
        }

        _folder.Dispose();
    }

    [Fact]
    public async Task StartDetached_Command_LeadsItsOwnSessionWithExactlyItsEnvironmentAndLogsItsOutput()
    {
        var identity = Start("echo started; echo complaint >&2; exec sleep 30");

        await Eventually.WaitAsync(() => File.Exists(Log) && File.ReadAllText(Log) == "started\ncomplaint\n", "both streams in the log");
        var stat = ProcessStat.Read(identity.Pid)!.Value;
        Assert.Equal(identity.Pid, stat.ProcessGroup);
        Assert.True(ProcessEnvironment.Contains(identity.Pid, Marker, _id));
        Assert.False(ProcessEnvironment.Contains(identity.Pid, "HOME", Environment.GetEnvironmentVariable("HOME") ?? "/"));
        Assert.Equal(identity, ProcessIdentity.Adopt(identity.Pid, Marker, _id));
        Assert.Null(ProcessIdentity.Adopt(identity.Pid, Marker, "another-id"));
    }

    [Fact]
    public async Task StopAsync_ProcessThatHonoursTheSignal_ExitsWithinGraceAndReturnsTrue()
    {
        var identity = Start("exec sleep 30");

        var stoppedByItself = await ProcessSupervisor.StopAsync(identity, ProcessSignals.Terminate, s_timeout, TimeProvider.System, CancellationToken.None).WaitAsync(s_timeout);

        Assert.True(stoppedByItself);
        Assert.True(identity.HasExited());
        Assert.False(identity.IsRunning());
    }

    [Fact]
    public async Task StopAsync_ProcessThatIgnoresTheSignal_IsKilledAfterGraceAndReturnsFalse()
    {
        var identity = Start("trap '' TERM; echo ready; exec sleep 30");
        await Eventually.WaitAsync(() => File.Exists(Log) && File.ReadAllText(Log).Contains("ready", StringComparison.Ordinal), "the trap set");
        var watch = Stopwatch.StartNew();

        var stoppedByItself = await ProcessSupervisor.StopAsync(identity, ProcessSignals.Terminate, TimeSpan.FromMilliseconds(500), TimeProvider.System, CancellationToken.None).WaitAsync(s_timeout);

        Assert.False(stoppedByItself);
        Assert.True(identity.HasExited());
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(500), $"killed after {watch.Elapsed.TotalMilliseconds:0} ms, before the grace period");
    }

    [Fact]
    public async Task StopAsync_IdentityWithAnotherMarker_NeverSignalsTheProcess()
    {
        var identity = Start("exec sleep 30");
        var stranger = identity with { Marker = "another-id" };

        var stopped = await ProcessSupervisor.StopAsync(stranger, ProcessSignals.Terminate, TimeSpan.FromMilliseconds(300), TimeProvider.System, CancellationToken.None).WaitAsync(s_timeout);

        Assert.False(stopped);
        Assert.True(identity.IsRunning());
    }

    [Fact]
    public async Task StopAsync_ProcessAlreadyGone_ReturnsTrueAtOnce()
    {
        // It exits only once the test has read its identity: a shell that exits at once can be gone before that.
        var identity = Start("while [ ! -e go ]; do sleep 0.01; done; exit 0");
        await File.WriteAllTextAsync(Path.Combine(_folder.Path, "go"), "");
        Assert.True(await ProcessSupervisor.WaitForExitAsync(identity, s_timeout, TimeProvider.System, CancellationToken.None).WaitAsync(s_timeout));

        Assert.True(await ProcessSupervisor.StopAsync(identity, ProcessSignals.Terminate, s_timeout, TimeProvider.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task HasExited_ZombieNotYetReaped_IsTrue()
    {
        // The shell starts a child and becomes sleep, which never reaps it: the child stays a zombie.
        var parent = Start("sleep 0 & echo $! > child.pid; exec sleep 30");
        var pidFile = Path.Combine(_folder.Path, "child.pid");
        await Eventually.WaitAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "the child's pid");
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.WaitAsync(() => ProcessStat.Read(child)?.State == 'Z', "the child a zombie");

        var identity = new ProcessIdentity(child, ProcessStat.Read(child)!.Value.StartTime, Marker, _id);

        Assert.True(identity.HasExited());
        Assert.False(identity.IsRunning());
        Assert.Null(ProcessStat.StartTimeOf(child));
        Assert.True(parent.IsRunning());
    }

    [Fact]
    public void HasExited_PidNowNamingALaterProcess_IsTrue()
    {
        var identity = Start("exec sleep 30");

        Assert.True((identity with { StartTime = identity.StartTime - 1 }).HasExited());
        Assert.False(identity.HasExited());
    }

    private string Log => Path.Combine(_folder.Path, "process.log");

    private ProcessIdentity Start(string script)
    {
        var environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", [Marker] = _id };
        var process = ProcessSupervisor.StartDetached("strata-test", ["/bin/sh", "-c", script], _folder.Path, Log, environment);
        _started.Add(process);
        var startTime = ProcessStat.Read(process.Id)?.StartTime ?? throw new InvalidOperationException("the process is gone already");
        return new ProcessIdentity(process.Id, startTime, Marker, _id);
    }
}
