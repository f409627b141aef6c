using Strata.Planning.Images;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.Planning.Tests;

/// <summary>
/// The state an apply leaves once its launches succeeded, so that tests can plan again against it. The plan is recorded
/// by the production <see cref="PlanApplication"/>; what the runtime records afterwards, which takes processes here, is
/// filled in: every image baked, every pending server in service at an address of its own (launched at
/// <see cref="TestDeployments.Now"/>), the volumes the plan created attached to their servers, each load balancer's URL.
/// </summary>
internal static class AppliedState
{
    private const string PinKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    public static DeploymentState After(DeploymentSpec spec, Plan plan, DeploymentState before)
    {
        var images = spec.Images.ToDictionary(i => i.Name, i => ImageDigest.Compute(Path.Combine(spec.BaseDirectory, i.From)));
        var recorded = PlanApplication.Apply(before, spec, images, plan, TestDeployments.Now, () => PinKey);
        var address = recorded.Tiers.Sum(t => t.Servers.Count(s => s.Address is not null));
        return recorded with
        {
            Serial = before.Serial + 1,
            Images = [.. spec.Images.Select(i => new ImageState { LogicalName = i.Name, Digest = images[i.Name] })],
            Tiers = [.. recorded.Tiers.Select(t => t with { Servers = [.. t.Servers.Select(s => s.State == ServerStatus.Pending
                ? s with { State = ServerStatus.InService, Address = $"127.0.1.{++address}" }
                : s)] })],
            LoadBalancers = [.. recorded.LoadBalancers.Select(l => l with { Url = l.Url ?? $"http://{l.Listen}" })],
            Volumes = [.. recorded.Volumes, .. CreatedVolumes(spec, plan)],
        };
    }

    private static IEnumerable<VolumeState> CreatedVolumes(DeploymentSpec spec, Plan plan) =>
        from change in plan.Changes.Where(c => c.Kind == ResourceKind.Volume)
        let parts = change.Address.Split('.')
        let tier = spec.FindTier(parts[1])!
        let volume = tier.Volumes.Single(v => v.Name == parts[2])
        from created in change.Children.Where(c => c.Action == ChangeAction.Create)
        select new VolumeState
        {
            Name = created.PhysicalName!, Tier = tier.Name, LogicalName = volume.Name,
            Server = created.Attributes.First(a => a.Name == "server").After,
            DeletionPolicy = volume.DeletionPolicy ?? tier.DeletionPolicy, SizeBytes = volume.SizeBytes,
        };
}
