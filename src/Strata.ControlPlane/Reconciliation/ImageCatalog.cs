using System.Collections.Concurrent;
using Strata.Api.Contracts.Events;
using Strata.ControlPlane.Deployments;
using Strata.ControlPlane.Events;
using Strata.Planning.State;
using Strata.Providers;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// Bakes each image folder once per source digest and remembers the provider's image, so launches of a hundred
/// servers share one bake.
/// </summary>
public sealed class ImageCatalog(ICloudProvider provider, EventLog events, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<MachineImage>>> _baked = new(StringComparer.Ordinal);

    /// <summary>Bakes every image of the spec that is not baked yet and records it in the state.</summary>
    public async Task EnsureAsync(DeploymentRuntime runtime, CancellationToken ct)
    {
        foreach (var image in runtime.Desired.Spec.Images)
        {
            var machineImage = await GetAsync(runtime, image.Name, ct).ConfigureAwait(false);
            var digest = runtime.Desired.ImageDigests[image.Name];
            if (runtime.State.FindImage(image.Name) is { } known && known.Digest == digest && known.ArtifactId == machineImage.Id)
            {
                continue;
            }

            var record = new ImageState { LogicalName = image.Name, Digest = digest, ArtifactId = machineImage.Id, BakedAt = time.GetUtcNow() };
            await runtime.MutateAsync(s => s with
            {
                Images = [.. s.Images.Where(i => i.LogicalName != image.Name), record],
                Artifacts = new Dictionary<string, string>(s.Artifacts) { [digest] = machineImage.Id },
            }, ct).ConfigureAwait(false);
            await events.PublishAsync(runtime.Name, EventKinds.ImageBaked, $"image {image.Name} (source {digest[..19]}…) baked as artifact {machineImage.Id[..19]}… ({machineImage.SizeBytes / 1024} KiB)", $"images.{image.Name}", cancellationToken: ct).ConfigureAwait(false);
        }
    }

    public Task<MachineImage> GetAsync(DeploymentRuntime runtime, string imageName, CancellationToken ct) =>
        GetAsync(runtime, runtime.Desired, imageName, ct);

    /// <summary>
    /// The image of <paramref name="desired"/> (the current or an earlier apply). An image baked before is taken by
    /// its artifact id, so an earlier launch is still possible after its folder changed.
    /// </summary>
    public Task<MachineImage> GetAsync(DeploymentRuntime runtime, DesiredDeployment desired, string imageName, CancellationToken ct)
    {
        var spec = desired.Spec;
        var digest = desired.ImageDigests[imageName];
        if (!_baked.ContainsKey(digest) && runtime.State.Artifacts.TryGetValue(digest, out var artifact))
        {
            return Task.FromResult(new MachineImage { Id = artifact, Name = imageName, SizeBytes = 0 });
        }

        var folder = SpecSource.ImageFolder(spec, spec.FindImage(imageName)!);
        var bake = _baked.GetOrAdd(digest, _ => new Lazy<Task<MachineImage>>(() => provider.RegisterImageAsync(folder, CancellationToken.None)));
        return bake.Value.WaitAsync(ct);
    }
}
