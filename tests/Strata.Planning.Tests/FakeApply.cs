using Strata.Spec;

namespace Strata.Planning.Tests;

/// <summary>
/// Turns a plan into the state an apply would leave, the way the runtime records it, so that tests can plan
/// again against it. Every server comes up in service at <see cref="TestDeployments.Now"/>.
/// </summary>
internal static class FakeApply
{
    public static DeploymentState Run(DeploymentSpec spec, Plan plan, DeploymentState before)
    {
        var images = spec.Images.ToDictionary(i => i.Name, i => ImageDigest.Compute(Path.Combine(spec.BaseDirectory, i.From)));
        var changes = plan.Changes.ToDictionary(c => c.Address);
        return before with
        {
            Serial = before.Serial + 1,
            SpecDigest = plan.SpecDigest,
            ParameterDigest = plan.ParameterDigest,
            Images = [.. spec.Images.Select(i => new ImageState { LogicalName = i.Name, Digest = images[i.Name] })],
            Tiers = [.. spec.Tiers.Select(t => Tier(spec, t, images[t.Image], changes[Addresses.Tier(t.Name)], before))],
            LoadBalancers = [.. spec.LoadBalancers.Select(l => LoadBalancer(l, changes[Addresses.LoadBalancer(l.Name)]))],
            Volumes = Volumes(plan, before),
            FirewallRules = [.. spec.Firewall.Select(r => new FirewallRuleState(r.From, r.To, r.Port, r.Protocol))],
        };
    }

    private static TierState Tier(DeploymentSpec spec, TierSpec tier, string imageDigest, ResourceChange change, DeploymentState before)
    {
        var image = spec.FindImage(tier.Image)!;
        var launch = SpecDigests.Launch(tier, image);
        var servers = (before.FindTier(tier.Name)?.LiveServers ?? []).ToDictionary(s => s.Name);
        foreach (var child in change.Children)
        {
            var oldName = child.Address[(child.Address.IndexOf('[') + 1)..^1];
            if (child.Action is ChangeAction.Delete or ChangeAction.Replace)
            {
                servers.Remove(oldName);
            }

            if (child.Action is ChangeAction.Create or ChangeAction.Replace)
            {
                var zone = child.Attributes.FirstOrDefault(a => a.Name == "zone")?.After ?? "local-a";
                servers[child.PhysicalName!] = new ServerState
                {
                    Name = child.PhysicalName!, Tier = tier.Name, Zone = zone, State = ServerStatus.InService,
                    ImageDigest = imageDigest, LaunchDigest = launch, LaunchedAt = TestDeployments.Now,
                    Address = $"127.0.1.{servers.Count + 1}",
                };
            }
        }

        return new TierState
        {
            LogicalName = tier.Name, ImageDigest = imageDigest, LaunchDigest = launch,
            LaunchParts = SpecDigests.LaunchParts(tier, image), SettingsDigest = SpecDigests.TierSettings(tier),
            Count = new TierCount(tier.Servers.Min, tier.Servers.Max, servers.Count), Servers = [.. servers.Values],
            DependsOn = TierOrder.DependenciesOf(spec, tier),
        };
    }

    private static LoadBalancerState LoadBalancer(LoadBalancerSpec spec, ResourceChange change) => new()
    {
        LogicalName = spec.Name, PhysicalName = change.PhysicalName!, Driver = spec.Driver, Listen = spec.Listen,
        TargetTier = spec.TargetTier, TargetPort = spec.TargetPort, SettingsDigest = SpecDigests.LoadBalancerSettings(spec),
        Url = $"http://{spec.Listen}",
    };

    private static List<VolumeState> Volumes(Plan plan, DeploymentState before)
    {
        var volumes = before.Volumes.ToDictionary(v => v.Name);
        foreach (var change in plan.Changes.Where(c => c.Kind == ResourceKind.Volume))
        {
            var parts = change.Address.Split('.');
            foreach (var child in change.Children)
            {
                var name = child.PhysicalName!;
                var server = child.Attributes.First(a => a.Name == "server").After;
                volumes[name] = child.Action switch
                {
                    ChangeAction.Create => new VolumeState
                    {
                        Name = name, Tier = parts[1], LogicalName = parts[2], Server = server,
                        DeletionPolicy = DeletionPolicy.Snapshot, SizeBytes = 1L << 30,
                    },
                    ChangeAction.Delete when volumes[name].DeletionPolicy == DeletionPolicy.Retain => volumes[name] with { Server = null },
                    ChangeAction.Delete => null!,
                    _ => volumes[name] with { Server = server },
                };
            }
        }

        return [.. volumes.Values.Where(v => v is not null)];
    }
}
