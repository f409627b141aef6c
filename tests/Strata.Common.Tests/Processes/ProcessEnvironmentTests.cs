using System.Diagnostics;
using Strata.Common.Processes;
using Strata.Testing;

namespace Strata.Common.Tests.Processes;

[Trait("kind", "e2e")]
public sealed class ProcessEnvironmentTests
{
    [Fact]
    public void Values_SeveralNames_EachReadFromOneLookAtTheEnvironmentAndNullWhenAbsent()
    {
        var info = new ProcessStartInfo("sleep", "30") { UseShellExecute = false };
        info.Environment.Clear();
        info.Environment["STRATA_A"] = "one=two";
        info.Environment["STRATA_AB"] = "longer name";
        using var process = Process.Start(info)!;
        try
        {
            var values = ProcessEnvironment.Values(process.Id, "STRATA_AB", "STRATA_A", "STRATA_MISSING");

            Assert.Equal(new string?[] { "longer name", "one=two", null }, values!.AsEnumerable());
            Assert.True(ProcessEnvironment.Contains(process.Id, "STRATA_A", "one=two"));
            Assert.False(ProcessEnvironment.Contains(process.Id, "STRATA_A", "one"));
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    [Fact]
    public void Values_ProcessInTheMiddleOfExecs_AlwaysFindsTheMarker()
    {
        // The shell execs itself 300 times, then sleeps: about one read in five used to land in an exec and read empty.
        const string Script = "N=$((N+1)); export N; [ $N -lt 300 ] && exec /bin/sh -c \"$0\" \"$0\"; exec sleep 30";
        var info = new ProcessStartInfo("/bin/sh", ["-c", Script, Script]) { UseShellExecute = false };
        info.Environment.Clear();
        info.Environment["PATH"] = "/usr/bin:/bin";
        info.Environment["STRATA_A"] = "marked";
        using var process = Process.Start(info)!;
        try
        {
            var reads = 0;
            while (!File.ReadAllText($"/proc/{process.Id}/cmdline").StartsWith("sleep", StringComparison.Ordinal))
            {
                Assert.True(ProcessEnvironment.Contains(process.Id, "STRATA_A", "marked"), $"read {reads} did not find the marker");
                reads++;
            }

            Assert.True(reads > 0, "the execs were over before the first read");
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    [Fact]
    public async Task Values_ProcessWithAnEmptyEnvironment_NoValuesWithoutWaitingForAnExec()
    {
        var info = new ProcessStartInfo("sleep", "30") { UseShellExecute = false };
        info.Environment.Clear();
        using var process = Process.Start(info)!;
        try
        {
            await Eventually.WaitAsync(() => File.ReadAllText($"/proc/{process.Id}/cmdline").StartsWith("sleep", StringComparison.Ordinal), "sleep started");
            var watch = Stopwatch.StartNew();

            Assert.Equal(new string?[] { null }, ProcessEnvironment.Values(process.Id, "PATH")!.AsEnumerable());

            // Taken for one in mid-exec, it would be re-read for the whole second the wait allows.
            Assert.True(watch.ElapsedMilliseconds < 1000, $"took {watch.ElapsedMilliseconds} ms, as if waiting for an exec");
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    [Fact]
    public void Values_ProcessGone_Null()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        var pid = process.Id;
        process.Dispose();

        Assert.Null(ProcessEnvironment.Values(pid, "PATH"));
    }
}
