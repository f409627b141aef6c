using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Ssh;
using Strata.Testing;

namespace Strata.Providers.Hosts.Tests;

/// <summary>The pure parts: targets, the host-state decision, options and the known_hosts file.</summary>
[Trait("kind", "unit")]
public sealed class HostModelTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("deploy@203.0.113.7", "deploy", "203.0.113.7", 22, "203.0.113.7")]
    [InlineData("root@host.example.com:2222", "root", "host.example.com", 2222, "[host.example.com]:2222")]
    [InlineData("ops@[2001:db8::1]:22", "ops", "2001:db8::1", 22, "2001:db8::1")]
    public void SshTarget_TryParse_Valid_ReadsUserAddressPortAndKnownHostsName(string text, string user, string address, int port, string known)
    {
        Assert.True(SshTarget.TryParse(text, out var target, out var error), error);
        Assert.Equal((user, address, port, known), (target.User, target.Address, target.Port, target.KnownHostsName));
    }

    [Theory]
    [InlineData("203.0.113.7", "is not USER@ADDRESS[:PORT]")]
    [InlineData("deploy@", "is not USER@ADDRESS[:PORT]")]
    [InlineData("deploy@host:0", "'0' is not a port")]
    [InlineData("deploy@host:ssh", "'ssh' is not a port")]
    [InlineData("de ploy@host", "is not a user name")]
    [InlineData("deploy@ho st", "is not an IP address or a host name")]
    public void SshTarget_TryParse_Invalid_SaysWhatIsWrong(string text, string expected)
    {
        Assert.False(SshTarget.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData(0, HostState.Ready)]
    [InlineData(9.9, HostState.Ready)]
    [InlineData(10, HostState.Unreachable)]
    [InlineData(29.9, HostState.Unreachable)]
    [InlineData(30, HostState.Lost)]
    public void Decide_SilenceOfSeconds_StateByTheDefaultTimeouts(double silence, HostState expected)
    {
        Assert.Equal(expected, HostStateDecision.Decide(s_now.AddSeconds(-silence), false, s_now, new HostsOptions()));
    }

    [Fact]
    public void Decide_DrainingAndHeardFrom_DrainingUntilSilent()
    {
        Assert.Equal(HostState.Draining, HostStateDecision.Decide(s_now, true, s_now, new HostsOptions()));
        Assert.Equal(HostState.Unreachable, HostStateDecision.Decide(s_now.AddSeconds(-10), true, s_now, new HostsOptions()));
        Assert.Equal(HostState.Lost, HostStateDecision.Decide(null, false, s_now, new HostsOptions()));
    }

    [Fact]
    public void Validate_TimeoutsOutOfOrder_ReportsEveryProblemAtOnce()
    {
        var errors = new HostsOptions { HostTimeout = TimeSpan.FromSeconds(1), HostLostAfter = TimeSpan.FromSeconds(1), CheckInterval = TimeSpan.Zero }.Validate();

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("knownHostsPath", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("checkInterval", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("hostTimeout", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("hostLostAfter", StringComparison.Ordinal));
    }

    [Fact]
    public void KnownHosts_AddCheckRemove_KnownUnknownChangedAndOwnerOnly()
    {
        using var folder = new TemporaryDirectory();
        var known = new KnownHosts(folder.Combine("sub", "known_hosts"));
        byte[] key = [1, 2, 3], other = [4, 5, 6];

        Assert.Equal(HostKeyVerdict.Unknown, known.Check("[a]:2222", "ssh-ed25519", key, out _));
        known.Add("[a]:2222", "ssh-ed25519", key);
        known.Add("b", "ssh-ed25519", other);

        Assert.Equal(HostKeyVerdict.Known, known.Check("[a]:2222", "ssh-ed25519", key, out _));
        Assert.Equal(HostKeyVerdict.Changed, known.Check("[a]:2222", "ssh-ed25519", other, out var recorded));
        Assert.Equal(KnownHosts.Fingerprint(key), recorded);
        Assert.Equal(HostKeyVerdict.Changed, known.Check("[a]:2222", "ssh-rsa", key, out _));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(known.Path));
        known.Remove("[a]:2222");
        Assert.Equal(HostKeyVerdict.Unknown, known.Check("[a]:2222", "ssh-ed25519", key, out _));
        Assert.Equal(HostKeyVerdict.Known, known.Check("b", "ssh-ed25519", other, out _));
    }

    [Fact]
    public void Fingerprint_AsOpenSshPrintsIt_Sha256UnpaddedBase64()
    {
        // SHA-256 of the empty input, base64 without its '=' padding.
        Assert.Equal("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", KnownHosts.Fingerprint([]));
    }

    [Fact]
    public void Resolve_AgentDir_TildeAndRelativeBelowHomeAbsoluteAsIs()
    {
        Assert.Equal("/home/deploy/.strata-agent", Agent.AgentInstaller.Resolve("~/.strata-agent", "/home/deploy"));
        Assert.Equal("/home/deploy/agent", Agent.AgentInstaller.Resolve("agent/", "/home/deploy/"));
        Assert.Equal("/opt/strata", Agent.AgentInstaller.Resolve("/opt/strata", "/home/deploy"));
        Assert.Equal("'it'\\''s'", Agent.AgentChannel.Quote("it's"));
    }
}
