using Strata.Testing;

namespace Strata.Providers.Tests.Local;

[Trait("kind", "e2e")]
public sealed class VolumeTests : IAsyncLifetime
{
    private readonly LocalProviderHarness _harness = new();
    private MachineImage _image = null!;

    public async Task InitializeAsync() => _image = await _harness.RegisterImageAsync(("data/.keep", ""), ("app.txt", "app"));

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task LaunchAsync_WithVolume_DataSurvivesTerminateAndIsReattached()
    {
        var volume = await CreateVolumeAsync("db-data-1");
        var writer = LocalProviderHarness.Request(_image, "echo \"written by $STRATA_SERVER_ID\" > \"$STRATA_VOLUME_DB_DATA/note\"; exec sleep 1000") with
        {
            Volumes = [new VolumeAttachment(volume.Id, "var/db")],
        };

        var first = await _harness.LaunchAsync(writer);
        await Eventually.WaitAsync(() => File.Exists(Path.Combine(volume.Path, "note")), "the server to write to its volume");
        await _harness.Provider.TerminateAsync(first.Id, null, CancellationToken.None).WithTimeout();
        var second = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000") with
        {
            Volumes = [new VolumeAttachment(volume.Id, "var/db")],
        });

        Assert.Equal(ServerInstanceState.Running, second.State);
        Assert.Equal($"written by {first.Id}\n", File.ReadAllText(Path.Combine(second.RootPath, "var", "db", "note")));
        Assert.Equal([volume.Id], (await _harness.Provider.ListVolumesAsync("hello", CancellationToken.None).WithTimeout()).Select(v => v.Id));
    }

    [Fact]
    public async Task LaunchAsync_MissingVolume_FailedNamingVolume()
    {
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000") with
        {
            Volumes = [new VolumeAttachment("no-such-volume", "data")],
        });

        Assert.Equal(ServerInstanceState.Failed, server.State);
        Assert.Equal("volume 'no-such-volume' does not exist; create it first", server.Message);
    }

    [Fact]
    public async Task DeleteVolumeAsync_AttachedToServer_ThrowsUntilServerTerminated()
    {
        var volume = await CreateVolumeAsync("v1");
        var server = await _harness.LaunchAsync(LocalProviderHarness.Request(_image, "exec sleep 1000") with
        {
            Volumes = [new VolumeAttachment(volume.Id, "data")],
        });

        var error = await Assert.ThrowsAsync<ProviderException>(() => _harness.Provider.DeleteVolumeAsync(volume.Id, CancellationToken.None).WithTimeout());
        await _harness.Provider.TerminateAsync(server.Id, null, CancellationToken.None).WithTimeout();
        await _harness.Provider.DeleteVolumeAsync(volume.Id, CancellationToken.None).WithTimeout();

        Assert.Contains(server.Id, error.Message);
        Assert.False(Directory.Exists(volume.Path));
        Assert.Empty(await _harness.Provider.ListVolumesAsync(null, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task CreateVolumeAsync_SameIdTwice_ReturnsExisting()
    {
        var first = await CreateVolumeAsync("v2");
        var second = await CreateVolumeAsync("v2");

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task SnapshotVolumeAsync_LocalProvider_NotSupportedAndCapabilitySaysSo()
    {
        var volume = await CreateVolumeAsync("v3");

        await Assert.ThrowsAsync<NotSupportedException>(() => _harness.Provider.SnapshotVolumeAsync(volume.Id, CancellationToken.None).WithTimeout());
        Assert.False(_harness.Provider.Capabilities.SupportsSnapshots);
        Assert.True(_harness.Provider.Capabilities.SupportsVolumes);
    }

    private Task<VolumeInfo> CreateVolumeAsync(string id) =>
        _harness.Provider.CreateVolumeAsync(new VolumeRequest { VolumeId = id, Name = "db-data", Deployment = "hello" }, CancellationToken.None).WithTimeout();
}
