using Strata.Providers.Local;
using Strata.Testing;

namespace Strata.Providers.Tests.Local;

/// <summary>
/// Two local providers on one machine (two agents, or two Strata homes) that each run a server of the same id: what
/// one does to its server never reaches the other's process.
/// </summary>
[Trait("kind", "e2e")]
public sealed class SharedMachineTests : IAsyncLifetime
{
    private readonly LocalProviderHarness _mine = new();
    private readonly LocalProviderHarness _other = new();
    private MachineImage _image = null!;
    private MachineImage _otherImage = null!;

    public async Task InitializeAsync()
    {
        _image = await _mine.RegisterImageAsync(("a.txt", "a"));
        _otherImage = await _other.RegisterImageAsync(("a.txt", "a"));
    }

    public async Task DisposeAsync()
    {
        await _mine.DisposeAsync();
        await _other.DisposeAsync();
    }

    [Fact]
    public async Task TerminateAsync_AnotherProviderRunsTheSameServerId_ItsProcessKeepsRunning()
    {
        var id = LocalProviderHarness.NewId();
        var others = await _other.LaunchAsync(LocalProviderHarness.Request(_otherImage, "exec sleep 1000", id));
        var mine = await _mine.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000", id));

        await _mine.Provider.TerminateAsync(id, TimeSpan.FromSeconds(1), CancellationToken.None).WithTimeout();
        await _mine.Provider.TerminateAsync(id, TimeSpan.FromSeconds(1), CancellationToken.None).WithTimeout();

        Assert.False(Processes.IsAlive(mine.ProcessId!.Value));
        Assert.True(Processes.IsAlive(others.ProcessId!.Value), "the other provider's server was stopped");
        var listed = await _other.Provider.DescribeServerAsync(id, CancellationToken.None).WithTimeout();
        Assert.Equal((ServerInstanceState.Running, others.ProcessId), (listed!.State, listed.ProcessId));
    }

    [Fact]
    public async Task FenceAsync_AnotherProviderRunsTheSameServerId_ItsProcessKeepsRunning()
    {
        var id = LocalProviderHarness.NewId();
        var others = await _other.LaunchAsync(LocalProviderHarness.Request(_otherImage, "exec sleep 1000", id));
        var mine = await _mine.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000", id));

        await _mine.Provider.FenceAsync(id, CancellationToken.None).WithTimeout();

        Assert.False(Processes.IsAlive(mine.ProcessId!.Value));
        Assert.True(Processes.IsAlive(others.ProcessId!.Value), "the other provider's server was killed by the fence");
    }

    [Fact]
    public async Task LaunchAsync_InterruptedWhileAnotherProviderRunsTheSameServerId_StartsItsOwnProcess()
    {
        var id = LocalProviderHarness.NewId();
        var others = await _other.LaunchAsync(LocalProviderHarness.Request(_otherImage, "exec sleep 1000", id));
        new ServerRecords(_mine.Options.RootPath).Write(TerminateTests.InterruptedRecord(_mine, _image, id));

        var mine = await _mine.CreateProvider().LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000", id), CancellationToken.None).WithTimeout();

        Assert.NotEqual(others.ProcessId, mine.ProcessId);
        Assert.True(Processes.IsAlive(others.ProcessId!.Value), "the other provider's server was stopped as a leftover");
        Assert.Equal(2, Processes.WithMarker(id).Count);
    }
}
