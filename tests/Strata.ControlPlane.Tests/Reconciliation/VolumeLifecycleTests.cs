using Strata.ControlPlane.Reconciliation;
using Strata.Planning.State;
using Strata.Providers;
using Strata.Spec.Model;
using Strata.Testing;

namespace Strata.ControlPlane.Tests.Reconciliation;

/// <summary>
/// A server's volumes when it leaves: a replaced or failed server's volumes wait for its replacement whatever their
/// policy, a removed server's go by their deletion policy. Volumes are real folders of the local provider.
/// </summary>
[Trait("kind", "unit")]
public sealed class VolumeLifecycleTests : IAsyncDisposable
{
    private readonly ControlPlaneServices _services = new();

    [Theory]
    [InlineData(TerminationCause.Replacement, "delete", true)]
    [InlineData(null, "delete", true)]
    [InlineData(TerminationCause.Removal, "delete", false)]
    [InlineData(TerminationCause.Removal, "retain", true)]
    public async Task ReleaseAsync_ByTerminationCause_KeepsVolumeForReplacementOrAppliesPolicy(TerminationCause? cause, string policy, bool kept)
    {
        var (runtime, volumes, server) = await RuntimeAsync(policy);
        await volumes.AttachAsync(runtime, Tier(runtime), server, CancellationToken.None).WithTimeout();
        var volume = Assert.Single(runtime.State.Volumes);

        await volumes.ReleaseAsync(runtime, server.Name, cause, CancellationToken.None).WithTimeout();

        var atProvider = await _services.Get<ICloudProvider>().ListVolumesAsync("data", CancellationToken.None).WithTimeout();
        if (kept)
        {
            Assert.Null(Assert.Single(runtime.State.Volumes).Server);
            Assert.Equal(volume.Name, Assert.Single(atProvider).Id);
        }
        else
        {
            Assert.Empty(runtime.State.Volumes);
            Assert.Empty(atProvider);
        }
    }

    [Fact]
    public async Task HandOverAsync_FailedServer_ItsReplacementAttachesTheSameVolume()
    {
        var (runtime, volumes, failed) = await RuntimeAsync("delete");
        var tier = Tier(runtime);
        await volumes.AttachAsync(runtime, tier, failed, CancellationToken.None).WithTimeout();
        var volume = Assert.Single(runtime.State.Volumes);
        File.WriteAllText(Path.Combine(volume.Path!, "rows"), "kept");
        var replacement = runtime.State.FindTier("db")!.Servers[1];
        Assert.Equal(failed.Name, VolumeBook.HeldForReplacement(runtime.State.WithServer(failed with { State = ServerStatus.Failed }, DateTimeOffset.UnixEpoch), tier, replacement.Name));

        await volumes.HandOverAsync(runtime, failed.Name, CancellationToken.None).WithTimeout();
        var attached = await volumes.AttachAsync(runtime, tier, replacement, CancellationToken.None).WithTimeout();

        var taken = Assert.Single(runtime.State.Volumes);
        Assert.Equal((volume.Name, replacement.Name), (taken.Name, taken.Server));
        Assert.Equal(volume.Name, Assert.Single(attached).VolumeId);
        Assert.Equal("kept", File.ReadAllText(Path.Combine(taken.Path!, "rows")));
    }

    [Fact]
    public void Attach_SeveralDetachedVolumes_TakesTheOneReleasedLast()
    {
        var tier = new TierSpec { Name = "db", Image = "app", Servers = ServerCount.Fixed(1), Volumes = [new VolumeSpec { Name = "data", SizeBytes = 1 << 20, Mount = "data" }] };
        VolumeState Free(string name, DateTimeOffset? released) =>
            new() { Name = name, Tier = "db", LogicalName = "data", DeletionPolicy = DeletionPolicy.Delete, ReleasedAt = released };
        // An old one left without a release time, as volumes were before it was recorded; the replaced server's; an older one.
        var state = DeploymentState.Empty("data") with
        {
            Volumes = [Free("data-db-data-old", null), Free("data-db-data-replaced", DateTimeOffset.UnixEpoch.AddHours(2)), Free("data-db-data-older", DateTimeOffset.UnixEpoch.AddHours(1))],
        };

        var next = VolumeBook.Attach(state, "data", tier, tier.Volumes[0], "data-db-new", new Random(7));

        Assert.Equal("data-db-data-replaced", Assert.Single(next.Volumes, v => v.Server == "data-db-new").Name);
    }

    [Fact]
    public async Task Recover_FreeVolumeOnALostHost_ReplacedByARecoveringOneUnlessAnotherServerTookItMeanwhile()
    {
        var (runtime, volumes, first) = await RuntimeAsync("delete");
        var tier = Tier(runtime);
        await volumes.AttachAsync(runtime, tier, first, CancellationToken.None).WithTimeout();
        var lost = Assert.Single(runtime.State.Volumes);
        var free = runtime.State.WithVolume(lost with { Server = null });
        var second = runtime.State.FindTier("db")!.Servers[1].Name;

        var recovered = VolumeBook.Recover(free, "data", tier, tier.Volumes[0], second, lost.Name, "h1", new Random(7));
        var taken = VolumeBook.Recover(runtime.State, "data", tier, tier.Volumes[0], second, lost.Name, "h1", new Random(7));
        var again = VolumeBook.Recover(recovered, "data", tier, tier.Volumes[0], second, lost.Name, "h1", new Random(7));

        var created = Assert.Single(recovered.Volumes);
        Assert.NotEqual(lost.Name, created.Name);
        Assert.Equal((second, lost.Name, "h1", (string?)null), (created.Server, created.RecoveringFrom, created.RecoveringFromHost, created.Path));
        Assert.Same(runtime.State, taken);
        Assert.Same(recovered, again);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private async Task<(DeploymentRuntime Runtime, VolumeLifecycle Volumes, ServerState Server)> RuntimeAsync(string policy)
    {
        var yaml = $$"""
            deployment: data
            images:
              app: { from: ./app, run: "sh run.sh" }
            tiers:
              db:
                image: app
                servers: 2
                deletionPolicy: {{policy}}
                volumes:
                  pg: { size: 1MiB, mount: pgdata }
            """;
        var runtime = AppliedDeployments.Runtime(await _services.InitializedStoreAsync(), yaml);
        return (runtime, _services.Get<VolumeLifecycle>(), runtime.State.FindTier("db")!.Servers[0]);
    }

    private static TierSpec Tier(DeploymentRuntime runtime) => runtime.Desired.Spec.FindTier("db")!;
}
