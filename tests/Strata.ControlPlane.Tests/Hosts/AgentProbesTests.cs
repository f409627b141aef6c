using Microsoft.Extensions.Logging.Abstractions;
using Strata.ControlPlane.Hosts;
using Strata.Providers.Hosts.Fleet;
using Strata.Providers.Probes;
using Strata.Storage;
using Strata.Storage.FileSystem;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Hosts;

/// <summary>The wait of a server's probe loop for its host's results, on a manual clock, with no agent connected.</summary>
[Trait("kind", "unit")]
public sealed class AgentProbesTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly ProbeWatchSpec s_spec = new()
    {
        Kind = SocketProbeKind.Http, Address = "127.0.0.1", Port = 8000, Path = "/", Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromMilliseconds(500),
    };

    private readonly TemporaryDirectory _folder = new("strata-agent-probes");
    private readonly ManualTimeProvider _time = new();
    private readonly AgentProbes _probes;

    public AgentProbesTests()
    {
        var images = ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _folder.Combine("objects") });
        var fleet = new HostFleet(Microsoft.Extensions.Options.Options.Create(new HostsOptions { KnownHostsPath = _folder.Combine("known_hosts") }), images, _time, NullLogger<HostFleet>.Instance);
        _probes = new AgentProbes(fleet, _ => "h1", _time, NullLogger.Instance);
    }

    [Fact]
    public async Task NextAsync_NothingComes_NullOnceTheWaitIsOverWithoutAnException()
    {
        using var watch = _probes.Watch("web-1", s_spec)!;

        var next = watch.NextAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50);
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(await next.WaitAsync(s_timeout));
        Assert.Equal(0, _time.PendingTimers);
    }

    [Fact]
    public async Task NextAsync_Cancelled_ThrowsAndLeavesNoTimer()
    {
        using var watch = _probes.Watch("web-1", s_spec)!;
        using var cancel = new CancellationTokenSource();

        var next = watch.NextAsync(TimeSpan.FromSeconds(30), cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WaitAsync(s_timeout));
        Assert.Equal(0, _time.PendingTimers);
    }

    [Fact]
    public void Watch_ServerOnNoHost_Null()
    {
        var probes = new AgentProbes(
            new HostFleet(Microsoft.Extensions.Options.Options.Create(new HostsOptions { KnownHostsPath = _folder.Combine("known_hosts") }),
                ObjectStores.CreateFileSystem(new FileSystemObjectStoreOptions { RootPath = _folder.Combine("objects") }), _time, NullLogger<HostFleet>.Instance),
            _ => null, _time, NullLogger.Instance);

        Assert.Null(probes.Watch("web-1", s_spec));
    }

    public void Dispose()
    {
        _probes.Dispose();
        _folder.Dispose();
    }
}
