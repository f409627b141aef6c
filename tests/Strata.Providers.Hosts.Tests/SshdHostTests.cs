using System.Diagnostics;
using Strata.Testing;

namespace Strata.Providers.Hosts.Tests;

/// <summary>The test hosts themselves: OpenSSH's own client logs in to them with the generated key, and nothing else does.</summary>
[Trait("kind", "e2e")]
public sealed class SshdHostTests
{
    [Fact]
    public async Task StartAsync_OpenSshClient_RunsACommandWithTheAuthorizedKeyOnly()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);

        Assert.Equal((0, "hello\n"), await SshAsync(host, host.IdentityFile, "echo hello"));
        Assert.NotEqual(0, (await SshAsync(host, host.UnauthorizedIdentityFile, "echo hello")).Code);
    }

    [Fact]
    public async Task PowerOff_WithASessionOpen_EndsTheSessionAndItsCommands()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        // A duration no other test sleeps, so that its process is known by its command line.
        var duration = $"600.{Environment.ProcessId}{Random.Shared.Next(1000)}";
        var session = SshAsync(host, host.IdentityFile, $"sleep {duration}");
        bool Sleeping() => Process.GetProcessesByName("sleep").Any(p => HostProcesses.CommandLine(p.Id) == $"sleep {duration} ");
        await Eventually.WaitAsync(Sleeping, "the command runs on the host");

        host.PowerOff();

        Assert.NotEqual(0, (await session.WithTimeout()).Code);
        Assert.False(Sleeping());
    }

    private static async Task<(int Code, string Output)> SshAsync(SshdHost host, string identity, string command)
    {
        var start = new ProcessStartInfo("ssh") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "-i", identity, "-p", SshdHost.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
            $"{SshdHost.User}@{host.Address}", command,
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WithTimeout();
        return (process.ExitCode, await output);
    }
}
