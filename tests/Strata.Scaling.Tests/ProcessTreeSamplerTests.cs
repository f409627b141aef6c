using System.Diagnostics;
using Strata.Scaling.Metrics;
using Strata.Testing;

namespace Strata.Scaling.Tests;

[Trait("kind", "e2e")]
public sealed class ProcessTreeSamplerTests
{
    [Fact]
    public void Sample_FakeProc_SumsTheTreeAndLeavesOthersOut()
    {
        using var proc = new FakeProc();
        proc.Process(100, parent: 1, utime: 50, stime: 10, rssPages: 100);
        proc.Process(101, parent: 100, utime: 5, stime: 5, rssPages: 20, command: "worker (a) b");
        proc.Process(102, parent: 101, utime: 1, stime: 0, rssPages: 10);
        proc.Process(200, parent: 1, utime: 999, stime: 999, rssPages: 999);
        var sampler = new ProcessTreeSampler(new ProcessTreeSamplerOptions { ProcRoot = proc.Root }, new ManualTimeProvider());

        var snapshot = sampler.Sample([100, 300]);

        var tree = Assert.Single(snapshot.Trees).Value;
        Assert.Equal([100, 101, 102], tree.Processes.Keys.Order());
        Assert.Equal(71, tree.CpuTicks);
        Assert.Equal(130L * Environment.SystemPageSize, tree.ResidentBytes);
        Assert.Equal(8L * 1024 * 1024 * 1024, snapshot.MemoryTotalBytes);
    }

    [Fact]
    public void CpuPercentSince_TwoFakeSamples_IsPercentOfOneCore()
    {
        using var proc = new FakeProc();
        var time = new ManualTimeProvider();
        var sampler = new ProcessTreeSampler(new ProcessTreeSamplerOptions { ProcRoot = proc.Root }, time);
        proc.Process(100, parent: 1, utime: 100, stime: 0, rssPages: 1);
        proc.Process(101, parent: 100, utime: 100, stime: 0, rssPages: 1);
        var before = sampler.Sample([100]);

        time.Advance(TimeSpan.FromSeconds(2));
        proc.Process(100, parent: 1, utime: 250, stime: 50, rssPages: 1);
        proc.Process(101, parent: 100, utime: 300, stime: 0, rssPages: 1);
        var after = sampler.Sample([100]);

        // 200 + 200 ticks at 100 per second over 2 s: two busy cores.
        Assert.Equal(200, after.CpuPercentSince(before, 100)!.Value, precision: 6);
    }

    [Fact]
    public void CpuPercentSince_PidReusedByANewProcess_CountsTheNewProcessFromZero()
    {
        using var proc = new FakeProc();
        var time = new ManualTimeProvider();
        var sampler = new ProcessTreeSampler(new ProcessTreeSamplerOptions { ProcRoot = proc.Root }, time);
        proc.Process(100, parent: 1, utime: 0, stime: 0, rssPages: 1);
        proc.Process(101, parent: 100, utime: 500, stime: 0, rssPages: 1, start: 10);
        var before = sampler.Sample([100]);

        time.Advance(TimeSpan.FromSeconds(1));
        proc.Process(101, parent: 100, utime: 30, stime: 0, rssPages: 1, start: 90);
        var after = sampler.Sample([100]);

        Assert.Equal(30, after.CpuPercentSince(before, 100)!.Value, precision: 6);
    }

    [Fact]
    public void CpuPercentSince_TreeMissingOrNoTimePassed_IsNull()
    {
        using var proc = new FakeProc();
        proc.Process(100, parent: 1, utime: 0, stime: 0, rssPages: 1);
        var sampler = new ProcessTreeSampler(new ProcessTreeSamplerOptions { ProcRoot = proc.Root }, new ManualTimeProvider());
        var snapshot = sampler.Sample([100]);

        Assert.Null(snapshot.CpuPercentSince(snapshot, 100));
        Assert.Null(snapshot.MemoryPercent(300));
        Assert.Null(snapshot.MeasureServer("web-1", 300, snapshot));
    }

    [Fact]
    public async Task Sample_RealBusyAndSleepingProcesses_MeasuresBothInOneScan()
    {
        using var busy = Start("timeout", "60", "sh", "-c", "while :; do :; done");
        using var idle = Start("sleep", "60");
        var sampler = new ProcessTreeSampler(new ProcessTreeSamplerOptions(), TimeProvider.System);
        var before = sampler.Sample([busy.Id, idle.Id]);
        ProcessTreeSnapshot after = before;

        // Wait until the loop has burnt half a second of CPU rather than sleeping a fixed time.
        await Eventually.WaitAsync(() =>
        {
            after = sampler.Sample([busy.Id, idle.Id]);
            return after.Trees[busy.Id].CpuTicks - before.Trees[busy.Id].CpuTicks >= 50 && after.Timestamp - before.Timestamp >= TimeSpan.FromSeconds(0.5);
        }, "the busy loop to use CPU", TimeSpan.FromSeconds(30));

        Assert.True(after.Trees[busy.Id].Processes.Count >= 2, "the busy shell is a child of timeout and belongs to its tree");
        // The machine may be shared, so the loop's share of a core is only known to be clearly above the sleeper's.
        Assert.InRange(after.CpuPercentSince(before, busy.Id)!.Value, 1, 200);
        Assert.InRange(after.CpuPercentSince(before, idle.Id)!.Value, 0, 1);
        var server = after.MeasureServer("web-1", idle.Id, before)!;
        Assert.InRange(server.MemoryBytes, 1, 1L << 30);
        Assert.InRange(server.MemoryPercent, double.Epsilon, 100);
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ProcessTreeSampler(new ProcessTreeSamplerOptions { ProcRoot = "", ClockTicksPerSecond = 0 }, TimeProvider.System));

        Assert.Contains("ProcRoot must not be empty", error.Message, StringComparison.Ordinal);
        Assert.Contains("ClockTicksPerSecond must be positive", error.Message, StringComparison.Ordinal);
    }

    private static KilledOnDispose Start(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return new KilledOnDispose(Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}"));
    }

    private sealed class KilledOnDispose(Process process) : IDisposable
    {
        public int Id => process.Id;

        public void Dispose()
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
            process.Dispose();
        }
    }

    /// <summary>A folder laid out like /proc with hand-written stat files.</summary>
    private sealed class FakeProc : IDisposable
    {
        public FakeProc()
        {
            Root = Directory.CreateTempSubdirectory("strata-proc-").FullName;
            File.WriteAllText(Path.Combine(Root, "meminfo"), "MemTotal:        8388608 kB\nMemFree:         1024 kB\n");
            Directory.CreateDirectory(Path.Combine(Root, "self"));
        }

        public string Root { get; }

        public void Process(int pid, int parent, long utime, long stime, long rssPages, string command = "app", long start = 1)
        {
            var directory = Directory.CreateDirectory(Path.Combine(Root, pid.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName;
            // Fields 3 to 24 of proc(5): state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
            // cutime cstime priority nice threads itrealvalue starttime vsize rss, then more.
            var stat = $"{pid} ({command}) S {parent} {pid} {pid} 0 -1 4194304 10 0 0 0 {utime} {stime} 7 7 20 0 1 0 {start} 123456 {rssPages} 18446744073709551615 1 1 0";
            File.WriteAllText(Path.Combine(directory, "stat"), stat);
        }

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }
}
