using System.Diagnostics;
using System.Reflection.PortableExecutable;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>The <c>./strata</c> launcher, built from scratch as on first use.</summary>
[Trait("kind", "e2e")]
public sealed class LauncherEndToEndTests
{
    /// <summary>A whole publish from nothing, precompiled, on a busy two-core machine.</summary>
    private static readonly TimeSpan s_publishTimeout = TimeSpan.FromMinutes(20);

    [Fact]
    public async Task Launcher_FirstUse_PublishesEveryStrataAssemblyReadyToRun()
    {
        using var artifacts = new TemporaryDirectory("strata-launcher");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(StrataRunner.RepositoryRoot(), "strata"));
        start.ArgumentList.Add("--version");
        start.Environment["STRATA_LAUNCHER_ARTIFACTS"] = artifacts.Path;
        start.Environment.Remove("STRATA_ARTIFACTS");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WithTimeout(s_publishTimeout);

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await error}");
        Assert.DoesNotContain("failed", await error, StringComparison.Ordinal);
        Assert.StartsWith("0.", await output, StringComparison.Ordinal);
        var app = Path.Combine(artifacts.Path, "app");
        var assemblies = Directory.GetFiles(app, "Strata.*.dll").Append(Path.Combine(app, "strata.dll")).ToList();
        Assert.Empty(assemblies.Where(path => !IsReadyToRun(path)).Select(Path.GetFileName));
    }

    /// <summary>A ReadyToRun image carries precompiled code, named by the managed native header of its CLI header.</summary>
    private static bool IsReadyToRun(string path)
    {
        using var reader = new PEReader(File.OpenRead(path));
        return reader.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
    }
}
