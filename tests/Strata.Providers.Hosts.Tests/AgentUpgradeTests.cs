using Strata.Agent;
using Strata.Providers.Hosts.Fleet;
using Strata.Testing;

namespace Strata.Providers.Hosts.Tests;

/// <summary>
/// The agent's files on a host, compared by hash with this control plane's build before anything is copied: a real
/// sshd, the agent installed and run through it, servers that outlive the agent that launched them.
/// </summary>
[Trait("kind", "e2e")]
public sealed class AgentUpgradeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Connect_HostHasThisBuildOfTheAgent_NothingIsCopied()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        var registration = harness.Registration(host) with { Zone = "a" };

        var first = await harness.Fleet.ConnectAsync(registration, true, CancellationToken.None).WithTimeout(s_timeout);
        await harness.Fleet.DisconnectAsync("h1").WithTimeout(s_timeout);
        var second = await harness.Fleet.ConnectAsync(registration, false, CancellationToken.None).WithTimeout(s_timeout);

        Assert.True(first.Install!.BytesCopied > 1_000_000, $"the first connection copied {first.Install.BytesCopied} bytes");
        Assert.Equal((0, 0L, 0), (second.Install!.FilesCopied, second.Install.BytesCopied, second.Install.FilesRemoved));
        Assert.Equal(second.Install.Build, second.Agent!.Build);
        Assert.Equal(first.Agent!.Build, second.Agent.Build);
    }

    [Fact]
    public async Task Connect_AgentOfAnotherBuildRanTheServers_UpgradedInPlaceAndTheServersKeepTheirProcesses()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await using var images = new ImageBakery(harness.Images);
        var registration = harness.Registration(host) with { Zone = "a" };
        await harness.Fleet.ConnectAsync(registration, true, CancellationToken.None).WithTimeout(s_timeout);
        var launched = await harness.Fleet.AgentOf("h1")!.LaunchAsync(images.HttpServer("web-1", await images.BakeAsync("kept")), CancellationToken.None).WithTimeout(s_timeout);
        await harness.Fleet.DisconnectAsync("h1").WithTimeout(s_timeout);

        // The host's agent files become another build, as an older Strata leaves them when it is upgraded and restarted
        // (its agents' channels end, their servers run on): one file differs, and an assembly this build no longer
        // ships is there.
        var bin = Path.Combine(registration.AgentDir, "bin");
        var config = Path.Combine(bin, AgentBundle.RuntimeConfigName);
        await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(config)).Replace("{\"runtimeOptions\"", "{ \"runtimeOptions\"", StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(bin, "Strata.Obsolete.dll"), "an assembly of an older agent");
        var upgraded = await harness.Fleet.ConnectAsync(registration, false, CancellationToken.None).WithTimeout(s_timeout);
        var adopted = Assert.Single(await harness.Fleet.AgentOf("h1")!.ListServersAsync(null, CancellationToken.None).WithTimeout(s_timeout));

        Assert.Equal((1, 1), (upgraded.Install!.FilesCopied, upgraded.Install.FilesRemoved));
        Assert.Equal(upgraded.Install.Build, upgraded.Agent!.Build);
        Assert.False(File.Exists(Path.Combine(bin, "Strata.Obsolete.dll")));
        Assert.Equal((ServerInstanceState.Running, launched.ProcessId, launched.ProcessStartTime), (adopted.State, adopted.ProcessId, adopted.ProcessStartTime));
    }
}
