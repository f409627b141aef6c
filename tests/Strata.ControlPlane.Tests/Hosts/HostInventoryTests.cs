using Strata.Api.Contracts.Agent;
using Strata.ControlPlane.Hosts;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Hosts.Ssh;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Hosts;

/// <summary>The hosts table of the state database.</summary>
[Trait("kind", "unit")]
public sealed class HostInventoryTests
{
    private static readonly DateTimeOffset s_added = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly AgentHello s_hello = new() { Version = "0.1.0", Hostname = "vm", Cores = 4, MemoryBytes = 8L << 30, DiskBytes = 100L << 30, DiskFreeBytes = 60L << 30 };

    [Fact]
    public async Task AddFindList_ARegisteredHost_ReadBackWithEveryField()
    {
        await using var services = new ControlPlaneServices();
        var inventory = services.Get<IHostInventory>();
        var host = Record("web1") with { Agent = s_hello, LastHeartbeat = s_added.AddSeconds(1) };

        await inventory.AddAsync(host, CancellationToken.None);
        await inventory.AddAsync(Record("db1"), CancellationToken.None);
        var found = await inventory.FindAsync("web1", CancellationToken.None);
        var listed = await inventory.ListAsync(CancellationToken.None);

        Assert.Equal(host.Registration with { Labels = found!.Registration.Labels }, found.Registration);
        Assert.Equal(host.Registration.Labels, found.Registration.Labels);
        Assert.Equal((host.State, host.Agent, host.LastHeartbeat, host.AddedAt), (found.State, found.Agent, found.LastHeartbeat, found.AddedAt));
        Assert.Equal(["db1", "web1"], listed.Select(h => h.Registration.Name));
        Assert.Null(listed[0].Agent);
    }

    [Fact]
    public async Task RecordVolumeAsync_MovingThenMovedThenForgotten_ReadBackAsRecordedEachTime()
    {
        await using var services = new ControlPlaneServices();
        var inventory = services.Get<IHostInventory>();
        var info = new Providers.VolumeInfo
        {
            Id = "vault-store-data-x1", Name = "data", Deployment = "vault", SizeMiB = 16, Path = "/srv/strata/engine/volumes/vault-store-data-x1/data",
            CreatedAt = s_added, Host = "web1",
        };

        await inventory.RecordVolumeAsync(new HostVolume(info.Id, "web1", "vault", "store", null), CancellationToken.None);
        var moving = await inventory.ListVolumesAsync(CancellationToken.None);
        await inventory.RecordVolumeAsync(new HostVolume(info.Id, "web1", "vault", "store", info), CancellationToken.None);
        await inventory.RecordVolumeAsync(new HostVolume("vault-store-data-a0", "web2", "vault", "store", null), CancellationToken.None);
        var moved = await inventory.ListVolumesAsync(CancellationToken.None);
        var found = await inventory.FindVolumeAsync(info.Id, CancellationToken.None);
        await inventory.ForgetVolumeAsync(info.Id, CancellationToken.None);
        var gone = await inventory.FindVolumeAsync(info.Id, CancellationToken.None);
        await inventory.ForgetVolumeAsync("never-recorded", CancellationToken.None);
        var left = await inventory.ListVolumesAsync(CancellationToken.None);

        Assert.Equal([new HostVolume(info.Id, "web1", "vault", "store", null)], moving);
        Assert.Equal(["vault-store-data-a0", info.Id], moved.Select(v => v.VolumeId));
        Assert.Equal(info, moved[1].Volume);
        Assert.Equal(moved[1], found);
        Assert.Null(gone);
        Assert.Equal([new HostVolume("vault-store-data-a0", "web2", "vault", "store", null)], left);
    }

    [Fact]
    public async Task SetDrainingAsync_MarkedHost_ReadBackDrainingUntilResumedOrRemoved()
    {
        await using var services = new ControlPlaneServices();
        var inventory = services.Get<IHostInventory>();
        await inventory.AddAsync(Record("web1"), CancellationToken.None);
        await inventory.AddAsync(Record("web2"), CancellationToken.None);

        Assert.True(await inventory.SetDrainingAsync("web1", draining: true, CancellationToken.None));
        Assert.True(await inventory.SetDrainingAsync("web1", draining: true, CancellationToken.None));
        Assert.False(await inventory.SetDrainingAsync("gone", draining: true, CancellationToken.None));
        var marked = await inventory.ListAsync(CancellationToken.None);
        Assert.True(await inventory.SetDrainingAsync("web1", draining: false, CancellationToken.None));
        var resumed = await inventory.FindAsync("web1", CancellationToken.None);
        await inventory.SetDrainingAsync("web2", draining: true, CancellationToken.None);
        await inventory.RemoveAsync("web2", CancellationToken.None);
        await inventory.AddAsync(Record("web2"), CancellationToken.None);
        var again = await inventory.FindAsync("web2", CancellationToken.None);

        Assert.Equal([("web1", true), ("web2", false)], marked.Select(h => (h.Registration.Name, h.Draining)));
        Assert.False(resumed!.Draining);
        Assert.False(again!.Draining);
    }

    [Fact]
    public async Task AddAsync_NameTaken_HostExistsSayingWhatToDo()
    {
        await using var services = new ControlPlaneServices();
        var inventory = services.Get<IHostInventory>();
        await inventory.AddAsync(Record("web1"), CancellationToken.None);

        var taken = await Assert.ThrowsAsync<HostExistsException>(() => inventory.AddAsync(Record("web1"), CancellationToken.None));

        Assert.Contains("strata host remove web1", taken.Message);
    }

    [Fact]
    public async Task RecordAsync_StateWithoutAgent_KeepsWhatTheAgentLastSaid()
    {
        await using var services = new ControlPlaneServices();
        var inventory = services.Get<IHostInventory>();
        await inventory.AddAsync(Record("web1"), CancellationToken.None);

        Assert.True(await inventory.RecordAsync("web1", HostState.Ready, s_hello, s_added.AddSeconds(5), CancellationToken.None));
        Assert.True(await inventory.RecordAsync("web1", HostState.Lost, null, null, CancellationToken.None));
        Assert.False(await inventory.RecordAsync("gone", HostState.Lost, null, null, CancellationToken.None));
        var found = await inventory.FindAsync("web1", CancellationToken.None);

        Assert.Equal((HostState.Lost, s_hello, s_added.AddSeconds(5)), (found!.State, found.Agent, found.LastHeartbeat));
        Assert.True(await inventory.RemoveAsync("web1", CancellationToken.None));
        Assert.False(await inventory.RemoveAsync("web1", CancellationToken.None));
        Assert.Null(await inventory.FindAsync("web1", CancellationToken.None));
    }

    private static HostRecord Record(string name) => new()
    {
        Registration = new HostRegistration
        {
            Name = name,
            Login = new SshLogin(new SshTarget { User = "deploy", Address = "203.0.113.7", Port = 2222 }, "/home/deploy/.ssh/id_ed25519"),
            AgentDir = "~/.strata-agent",
            AgentRuntime = "dotnet",
            Zone = "a",
            Region = "eu",
            Labels = new Dictionary<string, string> { ["disk"] = "ssd", ["gpu"] = "none" },
        },
        AddedAt = s_added,
    };
}
