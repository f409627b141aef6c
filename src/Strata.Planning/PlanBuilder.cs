using Strata.Common.Text;
using Strata.Planning.Parameters;
using Strata.Planning.State;
using Strata.Planning.Tiers;
using Strata.Spec.Model;

namespace Strata.Planning;

/// <summary>Builds one plan: images, tiers with their volumes, load balancers, firewall rules, then deletions.</summary>
internal sealed class PlanBuilder(PlanContext context)
{
    private readonly List<ResourceChange> _changes = [];

    public Plan Build()
    {
        var spec = context.Spec;
        foreach (var image in spec.Images)
        {
            _changes.Add(PlanImage(image));
        }

        var tiers = TierOrder.Sort(spec, context.Options.TierOrder);
        foreach (var tier in tiers)
        {
            var planned = TierPlanner.Plan(context, tier);
            _changes.AddRange(planned.Volumes);
            _changes.Add(planned.Tier);
        }

        foreach (var loadBalancer in spec.LoadBalancers)
        {
            _changes.Add(PlanLoadBalancer(loadBalancer));
        }

        PlanFirewall();
        PlanRemovals(tiers);
        var imageDigests = context.ImageDigests.Where(p => p.Value is not null)
            .ToDictionary(p => p.Key, p => p.Value!, StringComparer.Ordinal);
        return new Plan
        {
            DeploymentName = spec.Name,
            BaseSerial = context.Current.Serial,
            SpecDigest = SpecDigests.Deployment(spec, imageDigests),
            ParameterDigest = context.Options.ParameterDigest,
            CreatedAt = context.Options.TimeProvider.GetUtcNow(),
            Changes = _changes,
            Outputs = [.. spec.Outputs.Select(o => new PlannedOutput(o.Name, context.Display(o.Value)))],
            Problems = context.Problems,
            Summary = PlanSummary.Of(_changes),
        };
    }

    private ResourceChange PlanImage(ImageSpec image)
    {
        var digest = context.DigestImage(image);
        var state = context.Current.FindImage(image.Name);
        var (action, reason) = (state, digest) switch
        {
            (null, _) => (ChangeAction.Create, (string?)null),
            (_, null) => (ChangeAction.NoOp, null),
            _ when state.Digest != digest => (ChangeAction.Replace, "content changed: a new image is baked"),
            _ => (ChangeAction.NoOp, null),
        };
        return new ResourceChange
        {
            Address = Addresses.Image(image.Name),
            Kind = ResourceKind.Image,
            Action = action,
            Reason = reason,
            Attributes =
            [
                new("source", action == ChangeAction.Create ? null : image.From, image.From),
                new("digest", Digests.Short(state?.Digest), Digests.Short(digest) ?? "(unreadable)"),
            ],
        };
    }

    private ResourceChange PlanLoadBalancer(LoadBalancerSpec spec)
    {
        var state = context.Current.FindLoadBalancer(spec.Name);
        var target = $"{spec.TargetTier}:{spec.TargetPort}";
        var before = state is null ? null : $"{state.TargetTier}:{state.TargetPort}";
        var (reasons, replace) = state is null ? (new List<string>(), false) : LoadBalancerChanges(spec, state, before, target);
        var action = state is null ? ChangeAction.Create
            : replace ? ChangeAction.Replace
            : reasons.Count > 0 ? ChangeAction.Update : ChangeAction.NoOp;
        // The spec fixes where a new load balancer listens, so its URL is known before it runs; one placed on a host
        // listens at the host's address, known once the host is chosen.
        var newUrl = action is ChangeAction.Create or ChangeAction.Replace || state?.Url is null ? spec.Url ?? AttributeChange.KnownAfterApply : state.Url;
        List<AttributeChange> attributes =
        [
            new("listen", state?.Listen, spec.Listen),
            new("driver", state?.Driver, spec.Driver),
            new("target", before, target),
            new("url", state?.Url, newUrl),
        ];
        if (spec.Placement is not null || state?.Host is not null)
        {
            // A replaced load balancer stays on its host unless that no longer matches; a new one goes where the preview says.
            var host = state?.Host ?? PlannedHostOf(spec);
            attributes.Add(new("host", state?.Host, spec.Placement is null ? null : host));
        }
        if (state is null)
        {
            // The state keeps only a digest of these settings, so they are shown when there is no before to compare.
            attributes.Insert(3, new("algorithm", null, Words.Camel(spec.Algorithm.ToString())));
        }

        return new ResourceChange
        {
            Address = Addresses.LoadBalancer(spec.Name),
            Kind = ResourceKind.LoadBalancer,
            Action = action,
            Reason = reasons.Count > 0 ? string.Join("; ", reasons) : null,
            PhysicalName = state?.PhysicalName ?? context.NewName(spec.Name),
            Attributes = attributes,
        };
    }

    /// <summary>The host a load balancer with placement would be placed on, as the control plane previewed it.</summary>
    private string PlannedHostOf(LoadBalancerSpec spec) =>
        context.Options.Hosts?.GetValueOrDefault($"loadBalancers.{spec.Name}") switch
        {
            null => AttributeChange.KnownAfterApply,
            [] => "(no capacity)",
            [var host, ..] => $"{host.Name} (zone {host.Zone})",
        };

    /// <summary>What changed in a load balancer that exists, and whether that needs a new one (listen address, driver).</summary>
    private static (List<string> Reasons, bool Replace) LoadBalancerChanges(LoadBalancerSpec spec, LoadBalancerState state, string? before, string target)
    {
        var reasons = new List<string>();
        if (state.Listen != spec.Listen)
        {
            reasons.Add($"listen changed ({state.Listen} → {spec.Listen})");
        }

        if (state.Driver != spec.Driver)
        {
            reasons.Add($"driver changed ({state.Driver} → {spec.Driver})");
        }

        var replace = reasons.Count > 0;
        if (before != target)
        {
            reasons.Add($"target changed ({before} → {target})");
        }

        if (state.SettingsDigest != SpecDigests.LoadBalancerSettings(spec))
        {
            reasons.Add(spec.Placement is null && state.Host is null
                ? "settings changed in place (algorithm, health, tls, stickiness, drain)"
                : "settings changed in place (algorithm, health, tls, stickiness, drain, placement: it moves when its host no longer matches)");
        }

        return (reasons, replace);
    }

    private void PlanFirewall()
    {
        var existing = context.Current.FirewallRules.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in context.Spec.Firewall)
        {
            var key = FirewallKey.Of(rule.From, rule.To, rule.Port, rule.Protocol);
            if (seen.Add(key))
            {
                _changes.Add(FirewallChange(key, existing.Contains(key) ? ChangeAction.NoOp : ChangeAction.Create, null));
            }
        }
    }

    private void PlanRemovals(IReadOnlyList<TierSpec> tiers)
    {
        var spec = context.Spec;
        var wanted = spec.Firewall.Select(r => FirewallKey.Of(r.From, r.To, r.Port, r.Protocol)).ToHashSet(StringComparer.Ordinal);
        foreach (var rule in context.Current.FirewallRules.Where(r => !wanted.Contains(r.Key)))
        {
            _changes.Add(FirewallChange(rule.Key, ChangeAction.Delete, "no longer in the spec"));
        }

        foreach (var lb in context.Current.LoadBalancers.Reverse().Where(l => spec.FindLoadBalancer(l.LogicalName) is null))
        {
            _changes.Add(new ResourceChange
            {
                Address = Addresses.LoadBalancer(lb.LogicalName),
                Kind = ResourceKind.LoadBalancer,
                Action = ChangeAction.Delete,
                Reason = "no longer in the spec",
                PhysicalName = lb.PhysicalName,
                Attributes = [new("listen", lb.Listen, null), new("url", lb.Url, null)],
            });
        }

        var specTiers = tiers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var tier in TierOrder.DeletionOrder(context.Current.Tiers).Where(t => !specTiers.Contains(t.LogicalName)))
        {
            _changes.AddRange(TierPlanner.PlanRemoval(context, tier));
        }

        var specImages = spec.Images.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var image in context.Current.Images.Reverse().Where(i => !specImages.Contains(i.LogicalName)))
        {
            _changes.Add(new ResourceChange
            {
                Address = Addresses.Image(image.LogicalName),
                Kind = ResourceKind.Image,
                Action = ChangeAction.Delete,
                Reason = "no longer in the spec",
                Attributes = [new("digest", Digests.Short(image.Digest), null)],
            });
        }
    }

    private static ResourceChange FirewallChange(string key, ChangeAction action, string? reason) => new()
    {
        Address = Addresses.FirewallRule(key),
        Kind = ResourceKind.FirewallRule,
        Action = action,
        Reason = reason,
    };
}

/// <summary>Formatting shared by planner parts.</summary>
internal static class Digests
{
    /// <summary><c>sha256:</c> and the first 12 hex digits: enough to tell digests apart in a plan.</summary>
    public static string? Short(string? digest)
    {
        if (digest is null)
        {
            return null;
        }

        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        return digest.Length > colon + 13 ? digest[..(colon + 13)] : digest;
    }
}

internal static class Words
{
    public static string Camel(string pascal) => pascal.Length == 0 ? pascal : char.ToLowerInvariant(pascal[0]) + pascal[1..];

    public static string Servers(int count) => Counts.Of(count, "server");

    public static string Effect(DeletionPolicy policy) => policy switch
    {
        DeletionPolicy.Snapshot => "snapshot then delete",
        DeletionPolicy.Retain => "retain and detach",
        _ => "delete",
    };
}
