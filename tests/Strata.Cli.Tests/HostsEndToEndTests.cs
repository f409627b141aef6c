using System.Runtime.CompilerServices;
using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>
/// <c>strata host add|remove</c> and <c>strata hosts</c> through the real CLI and a background control plane, against
/// hosts that are real sshd processes on loopback addresses.
/// </summary>
[Trait("kind", "e2e")]
public sealed class HostsEndToEndTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task HostAdd_NewHostKeyAccepted_HostsJsonShowsTheCapacityItsAgentMeasuredThenRemoveForgetsIt()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var strata = await StartAsync();

        var add = await strata.RunAsync(s_timeout, [.. AddArguments(strata, host, "web1"), "--zone", "a", "--region", "eu", "--label", "disk=ssd", "--accept-new-host-key"]);
        var list = await strata.RunAsync(s_timeout, "hosts", "--json");
        var table = await strata.RunAsync(s_timeout, "hosts");
        var remove = await strata.RunAsync(s_timeout, "host", "remove", "web1");
        var after = await strata.RunAsync(s_timeout, "hosts", "--json");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("Added host 'web1'", add.Error);
        var listed = Assert.Single(JsonDocument.Parse(list.Out).RootElement.EnumerateArray());
        Assert.Equal(("web1", "ready", true), (listed.GetProperty("name").GetString(), listed.GetProperty("state").GetString(), listed.GetProperty("connected").GetBoolean()));
        Assert.Equal(("a", "eu", "ssd"), (listed.GetProperty("zone").GetString(), listed.GetProperty("region").GetString(), listed.GetProperty("labels").GetProperty("disk").GetString()));
        Assert.Equal(host.SshTarget, listed.GetProperty("ssh").GetString());
        var capacity = listed.GetProperty("capacity");
        Assert.Equal(Environment.ProcessorCount, capacity.GetProperty("cores").GetInt32());
        Assert.True(capacity.GetProperty("memoryBytes").GetInt64() > 0 && capacity.GetProperty("diskFreeBytes").GetInt64() > 0, list.Out);
        // Nothing runs there yet: no CPU of its cores and no memory reserved.
        Assert.Contains($" 0/{Environment.ProcessorCount} ", table.Out);
        Assert.Contains(" 0 B/", table.Out);
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Equal("[]", after.Out.Trim());
        Assert.DoesNotContain(host.Address, await File.ReadAllTextAsync(strata.Home.Combine("hosts", "known_hosts")));
    }

    [Fact]
    public async Task HostAdd_UnknownThenChangedHostKey_RefusedWithTheFingerprints()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var strata = await StartAsync();

        var unknown = await strata.RunAsync(s_timeout, AddArguments(strata, host, "web1"));
        var accepted = await strata.RunAsync(s_timeout, [.. AddArguments(strata, host, "web1"), "--accept-new-host-key"]);
        var listed = await strata.RunAsync(s_timeout, "hosts", "--json");
        var trusted = host.HostKeyFingerprint;
        await host.ReplaceHostKeyAsync();
        var changed = await strata.RunAsync(s_timeout, [.. AddArguments(strata, host, "web2"), "--accept-new-host-key"]);

        Assert.True(unknown.ExitCode == 9, unknown.ToString());
        Assert.Contains($"is not known: it offers ssh-ed25519 {trusted}", unknown.Error);
        Assert.Contains("--accept-new-host-key", unknown.Error);
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
        // Added without --zone: its servers are in the zone "default", and so is the host as listed.
        Assert.Equal("default", Assert.Single(JsonDocument.Parse(listed.Out).RootElement.EnumerateArray()).GetProperty("zone").GetString());
        Assert.True(changed.ExitCode == 9, changed.ToString());
        Assert.Contains($"has CHANGED: it offers ssh-ed25519 {host.HostKeyFingerprint}, but {trusted} is recorded", changed.Error);
    }

    [Fact]
    public async Task HostAdd_WrongIdentityOrNothingListening_RefusedSayingWhatToCheck()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await using var strata = await StartAsync();
        var nowhere = $"{SshdHost.User}@127.{block.Octet}.0.9:{SshdHost.Port}";

        var wrongKey = await strata.RunAsync(s_timeout, [.. AddArguments(strata, host, "web1", host.UnauthorizedIdentityFile), "--accept-new-host-key"]);
        var unreachable = await strata.RunAsync(s_timeout, "host", "add", "web1", "--ssh", nowhere, "--identity", host.IdentityFile, "--accept-new-host-key");
        var list = await strata.RunAsync(s_timeout, "hosts", "--json");

        Assert.True(wrongKey.ExitCode == 9, wrongKey.ToString());
        Assert.Contains($"refused the identity {host.UnauthorizedIdentityFile}", wrongKey.Error);
        Assert.True(unreachable.ExitCode == 9, unreachable.ToString());
        Assert.Contains($"cannot reach sshd at 127.{block.Octet}.0.9:{SshdHost.Port}", unreachable.Error);
        Assert.Equal("[]", list.Out.Trim());
    }

    [Fact]
    public async Task HostAdd_SshdWithoutSftp_RefusedSayingWhatToAddToSshdConfig()
    {
        using var block = LoopbackBlocks.Acquire();
        using var host = await SshdHost.StartAsync(block, 1);
        await host.WithoutSftpAsync();
        await using var strata = await StartAsync();

        var added = await strata.RunAsync(s_timeout, [.. AddArguments(strata, host, "web1", host.IdentityFile), "--accept-new-host-key"]);

        Assert.True(added.ExitCode == 9, added.ToString());
        Assert.Contains($"sshd at {host.Address}:{SshdHost.Port} let {SshdHost.User} in but runs no SFTP", added.Error);
        Assert.Contains("add `Subsystem sftp internal-sftp` to its sshd_config and reload sshd", added.Error);
        Assert.DoesNotContain("..", added.Error);
    }

    [Fact]
    public async Task HostAdd_BadInput_RefusedNamingTheFlag()
    {
        await using var strata = await StartAsync();

        var label = await strata.RunAsync(s_timeout, "host", "add", "web1", "--ssh", "root@203.0.113.7", "--label", "ssd");
        var ssh = await strata.RunAsync(s_timeout, "host", "add", "web1", "--ssh", "203.0.113.7:22", "--identity", strata.Home.WriteFile("key", "not a key"));
        var name = await strata.RunAsync(s_timeout, "host", "add", "web!", "--ssh", "root@203.0.113.7", "--identity", strata.Home.Combine("key"));
        var identity = await strata.RunAsync(s_timeout, "host", "add", "web1", "--ssh", "root@203.0.113.7", "--identity", strata.Home.Combine("no-such-key"));

        Assert.True(label.ExitCode == 2, label.ToString());
        Assert.Contains("'ssd' is not a label for --label; write KEY=VALUE", label.Error);
        Assert.True(ssh.ExitCode == 2, ssh.ToString());
        Assert.Contains("--ssh: '203.0.113.7:22' is not USER@ADDRESS[:PORT]", ssh.Error);
        Assert.True(name.ExitCode == 2, name.ToString());
        Assert.Contains("'web!' cannot name a host", name.Error);
        Assert.True(identity.ExitCode == 2, identity.ToString());
        Assert.Contains("--identity", identity.Error);
    }

    [Fact]
    public async Task Hosts_ViewerToken_ListsButCannotAddDrainResumeOrRemove()
    {
        await using var strata = await StartAsync();
        var created = await strata.RunAsync(s_timeout, "token", "create", "dashboard", "--role", "viewer");
        var viewer = new Dictionary<string, string> { ["STRATA_TOKEN"] = created.Out.Trim() };

        var list = await strata.RunWithEnvironmentAsync(s_timeout, viewer, "hosts", "--json");
        var add = await strata.RunWithEnvironmentAsync(s_timeout, viewer, "host", "add", "web1", "--ssh", "root@203.0.113.7", "--identity", strata.Home.WriteFile("key", "x"));
        var remove = await strata.RunWithEnvironmentAsync(s_timeout, viewer, "host", "remove", "web1");
        var drain = await strata.RunWithEnvironmentAsync(s_timeout, viewer, "host", "drain", "web1");
        var resume = await strata.RunWithEnvironmentAsync(s_timeout, viewer, "host", "resume", "web1");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.True(add.ExitCode == 8, add.ToString());
        Assert.Contains("needs the admin role; the token 'dashboard' has viewer", add.Error);
        Assert.True(remove.ExitCode == 8, remove.ToString());
        Assert.True(drain.ExitCode == 8, drain.ToString());
        Assert.True(resume.ExitCode == 8, resume.ToString());
    }

    [Fact]
    public async Task Up_OneHostsDiskTooFullForTheImage_ServersArePlacedOnTheHostWithRoomAndNoneFails()
    {
        using var block = LoopbackBlocks.Acquire();
        using var full = await SshdHost.StartAsync(block, 1);
        using var roomy = await SshdHost.StartAsync(block, 2);
        await using var strata = await StartAsync();
        // web1's agent folder is a small disk of its own: 12 MiB, of which the agent's files take about 3; a first
        // launch of the 4 MiB image there needs about three times its size.
        using var disk = SmallDisk.Mount(strata.Home.Combine("agents", "web1"), 12);
        var added = new[]
        {
            await strata.RunAsync(s_timeout, [.. AddArguments(strata, full, "web1"), "--accept-new-host-key"]),
            await strata.RunAsync(s_timeout, [.. AddArguments(strata, roomy, "web2"), "--accept-new-host-key"]),
        };
        strata.Home.WriteFile("big/app/data.bin", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3 << 20)));
        var spec = strata.Home.WriteFile("big/strata.yaml", """
            deployment: big
            images:
              app: { from: ./app, run: "exec sleep 100000" }
            tiers:
              work: { image: app, servers: 2 }
            """);

        var up = await strata.UpAsync(spec, "big");
        var servers = HelloEndToEndTests.Servers(await strata.StatusAsync("big"));
        var events = await strata.RunAsync(s_timeout, "events", "big");

        Assert.All(added, a => Assert.True(a.ExitCode == 0, a.ToString()));
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Equal([roomy.Address, roomy.Address], servers.Select(s => s.Address));
        Assert.DoesNotContain("server.failed", events.Out, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(strata.Home.Combine("agents", "web1", "uploads")));
    }

    private static async Task<StrataRunner> StartAsync([CallerMemberName] string test = "")
    {
        var strata = new StrataRunner(testMethod: test);
        var started = await strata.RunAsync(s_timeout, "server", "start", "--listen", strata.Listen);
        Assert.True(started.ExitCode == 0, started.ToString());
        return strata;
    }

    private static string[] AddArguments(StrataRunner strata, SshdHost host, string name, string? identity = null) =>
    [
        "host", "add", name, "--ssh", host.SshTarget, "--identity", identity ?? host.IdentityFile,
        "--agent-dir", strata.Home.Combine("agents", name), "--agent-runtime", SshdHost.Dotnet,
    ];
}
