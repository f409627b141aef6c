using System.Diagnostics;
using Strata.Common.Processes;

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
    public void Values_ProcessGone_Null()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        var pid = process.Id;
        process.Dispose();

        Assert.Null(ProcessEnvironment.Values(pid, "PATH"));
    }
}
