using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Ssh;
using Strata.Testing;

namespace Strata.Providers.Hosts.Tests;

/// <summary>Hosts reached through a real sshd each; the agent is installed and spoken to through SSH alone.</summary>
[Trait("kind", "e2e")]
public sealed class HostFleetTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task ConnectAsync_NewHostKeyAccepted_AgentSaysHelloWithTheHostsCapacity()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();

        var status = await harness.Fleet.ConnectAsync(harness.Registration(host), acceptNewHostKey: true, CancellationToken.None).WithTimeout(s_timeout);

        Assert.Equal(HostState.Ready, status.State);
        Assert.True(status.Connected);
        var agent = status.Agent!;
        Assert.Equal(Environment.ProcessorCount, agent.Cores);
        Assert.Equal(MemTotalBytes(), agent.MemoryBytes);
        Assert.InRange(agent.DiskFreeBytes, 1, agent.DiskBytes);
        Assert.Equal(typeof(HostFleet).Assembly.GetName().Version!.ToString(3), agent.Version);
        Assert.Contains($"[{host.Address}]:{SshdHost.Port} ssh-ed25519 ", await File.ReadAllTextAsync(harness.KnownHostsPath));
        Assert.Equal(host.HostKeyFingerprint, KnownFingerprint(harness, host));
    }

    [Fact]
    public async Task ConnectAsync_SecondHostOnTheSameMachineAndAgentFolder_RefusedNamingTheHostThatHoldsIt()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        var first = harness.Registration(host, "h1");
        await harness.Fleet.ConnectAsync(first, acceptNewHostKey: true, CancellationToken.None).WithTimeout(s_timeout);

        var refused = await Assert.ThrowsAsync<HostConnectException>(
            () => harness.Fleet.ConnectAsync(harness.Registration(host, "h2") with { AgentDir = first.AgentDir }, false, CancellationToken.None)).WithTimeout(s_timeout);

        Assert.Equal(HostConnectFailure.AgentFailed, refused.Failure);
        Assert.Matches($@"^the agent on {SshdHost.User}@{host.Address}:{SshdHost.Port} refused to start: the folder {first.AgentDir} is in use by another agent \(process \d+, for host h1\); .*give each host its own --agent-dir$", refused.Message);
        Assert.True(harness.Fleet.Find("h1")!.Connected);
        Assert.Null(harness.Fleet.Find("h2"));
    }

    [Fact]
    public async Task ConnectAsync_EarlierAgentOfTheHostFrozenHoldingTheFolder_ItIsKilledAndTheNewAgentTakesOver()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        var registration = harness.Registration(host);
        await harness.Fleet.ConnectAsync(registration, acceptNewHostKey: true, CancellationToken.None).WithTimeout(s_timeout);
        var earlier = HostProcesses.AgentOver(registration.AgentDir);
        Assert.True(Strata.Common.Processes.ProcessSignals.Send(earlier, 19));

        var status = await harness.Fleet.ConnectAsync(registration, false, CancellationToken.None).WithTimeout(s_timeout);

        Assert.True(status.Connected);
        await Eventually.WaitAsync(() => !HostProcesses.CommandLine(earlier).Contains("Strata.Agent.dll", StringComparison.Ordinal), "the frozen agent to be gone");
        Assert.NotEqual(earlier, HostProcesses.AgentOver(registration.AgentDir));
    }

    [Fact]
    public async Task ConnectAsync_UnknownHostKeyNotAccepted_RefusedWithItsFingerprintAndNothingRecorded()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();

        var refused = await Assert.ThrowsAsync<HostConnectException>(() => harness.Fleet.ConnectAsync(harness.Registration(host), false, CancellationToken.None)).WithTimeout(s_timeout);

        Assert.Equal(HostConnectFailure.HostKeyUnknown, refused.Failure);
        Assert.Contains(host.HostKeyFingerprint, refused.Message);
        Assert.Contains("--accept-new-host-key", refused.Message);
        Assert.False(File.Exists(harness.KnownHostsPath));
        Assert.Empty(harness.Fleet.List());
    }

    [Fact]
    public async Task ConnectAsync_HostKeyChanged_RefusedEvenWhenNewKeysAreAcceptedNamingBothFingerprints()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await harness.Fleet.ConnectAsync(harness.Registration(host), true, CancellationToken.None).WithTimeout(s_timeout);
        await harness.Fleet.DisconnectAsync("h1");
        var trusted = host.HostKeyFingerprint;
        await host.ReplaceHostKeyAsync();

        var refused = await Assert.ThrowsAsync<HostConnectException>(() => harness.Fleet.ConnectAsync(harness.Registration(host), true, CancellationToken.None)).WithTimeout(s_timeout);

        Assert.Equal(HostConnectFailure.HostKeyChanged, refused.Failure);
        Assert.Contains($"offers ssh-ed25519 {host.HostKeyFingerprint}, but {trusted} is recorded", refused.Message);
        Assert.Equal(trusted, KnownFingerprint(harness, host));
    }

    [Fact]
    public async Task ConnectAsync_IdentityTheHostDoesNotAuthorize_AuthenticationFailedNamingTheKey()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();

        var refused = await Assert.ThrowsAsync<HostConnectException>(
            () => harness.Fleet.ConnectAsync(harness.Registration(host, identity: host.UnauthorizedIdentityFile), true, CancellationToken.None)).WithTimeout(s_timeout);

        Assert.Equal(HostConnectFailure.AuthenticationFailed, refused.Failure);
        Assert.Contains($"refused the identity {host.UnauthorizedIdentityFile}", refused.Message);
        Assert.Contains("--identity FILE", refused.Message);
    }

    [Fact]
    public async Task ConnectAsync_NothingListensAtTheAddress_UnreachableNamingAddressAndPort()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        var registration = harness.Registration(host) with
        {
            Login = new SshLogin(new SshTarget { User = SshdHost.User, Address = $"127.{block.Octet}.0.9", Port = SshdHost.Port }, host.IdentityFile),
        };

        var refused = await Assert.ThrowsAsync<HostConnectException>(() => harness.Fleet.ConnectAsync(registration, true, CancellationToken.None)).WithTimeout(s_timeout);

        Assert.Equal(HostConnectFailure.Unreachable, refused.Failure);
        Assert.Contains($"cannot reach sshd at 127.{block.Octet}.0.9:{SshdHost.Port}", refused.Message);
    }

    [Fact]
    public async Task Heartbeats_HostPowersOff_UnreachableAfterHostTimeoutThenLostAfterHostLostAfter()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        await harness.Fleet.ConnectAsync(harness.Registration(host), true, CancellationToken.None).WithTimeout(s_timeout);
        await using var changes = harness.Fleet.WatchAsync(CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await changes.MoveNextAsync().AsTask().WithTimeout(s_timeout));
        Assert.Equal(HostState.Ready, changes.Current.State);

        host.PowerOff();
        Assert.True(await changes.MoveNextAsync().AsTask().WithTimeout(s_timeout));
        var closed = changes.Current;
        harness.Time.Advance(harness.Options.HostTimeout - TimeSpan.FromSeconds(1));
        var beforeTimeout = harness.Fleet.Find("h1")!.State;
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await changes.MoveNextAsync().AsTask().WithTimeout(s_timeout));
        var unreachable = changes.Current;
        harness.Time.Advance(harness.Options.HostLostAfter - harness.Options.HostTimeout);
        Assert.True(await changes.MoveNextAsync().AsTask().WithTimeout(s_timeout));
        var lost = changes.Current;

        Assert.Equal((HostState.Ready, false), (closed.State, closed.Connected));
        Assert.Equal(HostState.Ready, beforeTimeout);
        Assert.Equal(HostState.Unreachable, unreachable.State);
        Assert.Equal(HostState.Lost, lost.State);
    }

    [Fact]
    public async Task Keep_HostComesBackAfterPoweringOff_ReconnectedWithANewHelloAndReadyAgain()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        // The clock is moved on by the second below while the agent starts in real time: its hello must not time out.
        await using var harness = new FleetHarness(o => o.HelloTimeout = TimeSpan.FromHours(1));
        var first = await harness.Fleet.ConnectAsync(harness.Registration(host), true, CancellationToken.None).WithTimeout(s_timeout);

        host.PowerOff();
        await Eventually.WaitAsync(() => harness.Fleet.Find("h1") is { Connected: false }, "the channel closes");
        harness.Time.Advance(harness.Options.HostLostAfter);
        var lost = harness.Fleet.Find("h1")!.State;
        await host.PowerOnAsync();
        // The fleet waits for its backoff on the manual clock: move it on until the reconnection is made.
        await Eventually.WaitAsync(() =>
        {
            harness.Time.Advance(TimeSpan.FromSeconds(1));
            return harness.Fleet.Find("h1") is { Connected: true };
        }, "the fleet reconnects");
        var back = harness.Fleet.Find("h1")!;

        Assert.Equal(HostState.Lost, lost);
        Assert.Equal(HostState.Ready, back.State);
        Assert.NotSame(first.Agent, back.Agent);
    }

    [Fact]
    public async Task Keep_AgentHangsWithItsConnectionOpen_ConnectedAgainAfterHostTimeoutWithANewAgentThatStopsTheSilentOne()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness(o => o.HelloTimeout = TimeSpan.FromHours(1));
        var registration = harness.Registration(host);
        var first = await harness.Fleet.ConnectAsync(registration, true, CancellationToken.None).WithTimeout(s_timeout);
        var hung = HostProcesses.AgentOver(registration.AgentDir);
        Assert.True(Strata.Common.Processes.ProcessSignals.Send(hung, 19));

        harness.Time.Advance(harness.Options.HostTimeout - TimeSpan.FromSeconds(1));
        var beforeTimeout = harness.Fleet.Find("h1")!;
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.WaitAsync(() =>
        {
            harness.Time.Advance(TimeSpan.FromSeconds(1));
            return harness.Fleet.Find("h1") is { Connected: true } status && !ReferenceEquals(status.Agent, first.Agent);
        }, "the fleet connects again", s_timeout);
        var back = harness.Fleet.Find("h1")!;

        Assert.Equal((HostState.Ready, true), (beforeTimeout.State, beforeTimeout.Connected));
        Assert.Equal(HostState.Ready, back.State);
        Assert.NotEqual(hung, HostProcesses.AgentOver(registration.AgentDir));
        await Eventually.WaitAsync(() => !HostProcesses.CommandLine(hung).Contains("Strata.Agent.dll", StringComparison.Ordinal), "the hung agent to be gone");
    }

    [Fact]
    public async Task DisconnectAsync_AgentRunning_ReturnsOnceTheAgentHasExited()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var harness = new FleetHarness();
        var registration = harness.Registration(host);
        await harness.Fleet.ConnectAsync(registration, true, CancellationToken.None).WithTimeout(s_timeout);
        var running = HostProcesses.AgentsStartedFrom(registration.AgentDir);

        Assert.True(await harness.Fleet.DisconnectAsync("h1").WithTimeout(s_timeout));

        Assert.Single(running);
        Assert.Empty(HostProcesses.AgentsStartedFrom(registration.AgentDir));
        Assert.Null(harness.Fleet.Find("h1"));
    }

    private static string KnownFingerprint(FleetHarness harness, SshdHost host)
    {
        var line = File.ReadAllLines(harness.KnownHostsPath).Single(l => l.StartsWith($"[{host.Address}]:{SshdHost.Port} ", StringComparison.Ordinal));
        return KnownHosts.Fingerprint(Convert.FromBase64String(line.Split(' ')[2]));
    }

    private static long MemTotalBytes() =>
        long.Parse(File.ReadAllLines("/proc/meminfo").Single(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
}
