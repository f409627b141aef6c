using System.Diagnostics;
using Strata.Common.Processes;
using Strata.Testing;

namespace Strata.Agent.Tests;

/// <summary>The folder lock against a real earlier agent: a process that holds <c>agent.lock</c> with <c>flock</c>.</summary>
[Trait("kind", "e2e")]
public sealed class AgentFolderLockTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new("strata-agent-lock");
    private readonly Process _earlier;

    public AgentFolderLockTests()
    {
        // The shell takes the lock on its descriptor 9 and becomes sleep, which keeps it: one process holds it.
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec 9>agent.lock; flock 9; echo locked; exec sleep 1000"])
        {
            WorkingDirectory = _folder.Path,
            RedirectStandardOutput = true,
        };
        _earlier = Process.Start(start)!;
    }

    public void Dispose()
    {
        ProcessSignals.Send(_earlier.Id, ProcessSignals.Kill);
        _earlier.WaitForExit();
        _earlier.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task TakeAsync_EarlierAgentOfTheSameHostStopped_KilledAtOnceRatherThanWokenToTakeSigterm()
    {
        Assert.Equal("locked", await _earlier.StandardOutput.ReadLineAsync().WithTimeout());
        await File.WriteAllTextAsync(Path.Combine(_folder.Path, AgentFolderLock.HolderFileName), $"{_earlier.Id} h1");
        Assert.True(ProcessSignals.Send(_earlier.Id, 19));
        await Eventually.WaitAsync(() => ProcessStat.Read(_earlier.Id)?.State == 'T', "the earlier agent stopped");
        var time = new ManualTimeProvider();

        var take = AgentFolderLock.TakeAsync(_folder.Path, "h1", time, CancellationToken.None);

        // The clock stands still: SIGTERM alone would stay pending in the stopped process until it is sent SIGKILL,
        // five seconds of this clock later.
        await Eventually.WaitAsync(() => ProcessStat.Read(_earlier.Id) is not { IsAlive: true }, "the earlier agent killed");
        await Eventually.WaitAsync(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            return take.IsCompleted;
        }, "the lock taken");
        var (held, refusal) = await take;
        using (held)
        {
            Assert.Null(refusal);
            Assert.NotNull(held);
            Assert.Equal($"{Environment.ProcessId} h1", await File.ReadAllTextAsync(Path.Combine(_folder.Path, AgentFolderLock.HolderFileName)));
        }
    }
}
