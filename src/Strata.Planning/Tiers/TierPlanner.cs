using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.Planning.Tiers;

/// <summary>Plans one tier: its servers (create, replace, scale) and the volumes that follow them.</summary>
internal static class TierPlanner
{
    public sealed record Planned(ResourceChange Tier, IReadOnlyList<ResourceChange> Volumes);

    public static Planned Plan(PlanContext context, TierSpec tier)
    {
        var image = context.Spec.FindImage(tier.Image);
        if (image is null)
        {
            context.Problems.Add(new PlanProblem(Addresses.Tier(tier.Name), $"the image '{tier.Image}' is not defined"));
            return new Planned(
                new ResourceChange { Address = Addresses.Tier(tier.Name), Kind = ResourceKind.Tier, Action = ChangeAction.NoOp }, []);
        }

        var imageDigest = context.DigestImage(image);
        var state = context.Current.FindTier(tier.Name);
        var planned = state is null
            ? PlanCreate(context, tier, image, imageDigest)
            : PlanExisting(context, tier, state, image, imageDigest);
        var volumes = VolumePlanner.Plan(context, tier, planned.Fates);
        return new Planned(planned.Change, volumes);
    }

    /// <summary>A tier no longer in the spec: its servers stop and its volumes follow their deletion policy.</summary>
    public static IEnumerable<ResourceChange> PlanRemoval(PlanContext context, TierState tier)
    {
        var volumes = context.VolumesByTier[tier.LogicalName].Where(v => v.Server is not null).ToList();
        var effects = volumes.Select(v => Words.Effect(v.DeletionPolicy)).Distinct().ToList();
        var live = tier.LiveServers.ToList();
        var reason = $"no longer in the spec: {Words.Servers(live.Count)} stopped";
        if (effects.Count > 0)
        {
            reason += $"; volumes: {string.Join(", ", effects)}";
        }

        yield return new ResourceChange
        {
            Address = Addresses.Tier(tier.LogicalName),
            Kind = ResourceKind.Tier,
            Action = ChangeAction.Delete,
            Reason = reason,
            Attributes = [new("servers", Count(tier.Count), null)],
            Children = [.. live.Select(s => new ServerFate(ChangeAction.Delete, s, null, s.Zone, null).ToChange(tier.LogicalName))],
        };
        foreach (var change in VolumePlanner.PlanRemoval(tier.LogicalName, volumes))
        {
            yield return change;
        }
    }

    private sealed record TierOutcome(ResourceChange Change, IReadOnlyList<ServerFate> Fates);

    private static TierOutcome PlanCreate(PlanContext context, TierSpec tier, ImageSpec image, string? imageDigest)
    {
        var zones = new ZoneBalancer(Zones(context, tier), []);
        var fates = Enumerable.Range(0, tier.Servers.Desired)
            .Select(_ => ServerFate.Create(context, tier.Name, zones, null))
            .ToList();
        List<AttributeChange> attributes =
        [
            new("image", null, tier.Image),
            new("digest", null, Digests.Short(imageDigest) ?? "(unreadable)"),
            new("servers", null, Count(tier.Servers)),
        ];
        if (tier.Ports.Count > 0)
        {
            attributes.Add(new("ports", null, string.Join(", ", tier.Ports.Select(p => $"{p.Name}={p.Port}"))));
        }

        // With hosts the servers' zones are their hosts'; the tier's own zones only restrict which hosts qualify.
        var zoneNames = context.Options.Hosts is null ? Zones(context, tier) : [.. fates.Select(f => f.Zone).Where(z => z.Length > 0).Distinct().Order(StringComparer.Ordinal)];
        attributes.Add(new("zones", null, zoneNames.Count > 0 ? string.Join(", ", zoneNames) : AttributeChange.KnownAfterApply));
        attributes.AddRange(Environment(context, tier, image).Select(e => new AttributeChange($"env.{e.Key}", null, e.Value)));
        var change = new ResourceChange
        {
            Address = Addresses.Tier(tier.Name),
            Kind = ResourceKind.Tier,
            Action = ChangeAction.Create,
            Reason = Words.Servers(fates.Count),
            Attributes = attributes,
            Children = [.. fates.Select(f => f.ToChange(tier.Name))],
        };
        return new TierOutcome(change, fates);
    }

    private static TierOutcome PlanExisting(
        PlanContext context, TierSpec tier, TierState state, ImageSpec image, string? imageDigest)
    {
        var parts = SpecDigests.LaunchParts(tier, image, context.Spec.ResolvedParameters);
        var launch = SpecDigests.Launch(parts);
        var imageChanged = imageDigest is not null && state.ImageDigest != imageDigest;
        var launchChanged = state.LaunchDigest != launch;
        var live = state.LiveServers.ToList();
        var target = Target(tier, live.Count);

        // Servers that go when the tier shrinks are chosen before replacement, so that none is replaced only to go.
        var byRemovalPriority = live.OrderByDescending(s => s.IsUnhealthy).ThenBy(s => s.LaunchedAt)
            .ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
        var removeCount = Math.Max(0, live.Count - target);
        var fates = byRemovalPriority.Take(removeCount)
            .Select(s => new ServerFate(ChangeAction.Delete, s, null, s.Zone, RemovalReason(s)))
            .ToList();
        foreach (var server in byRemovalPriority.Skip(removeCount).OrderBy(s => s.LaunchedAt).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            var outdated = imageChanged || launchChanged || server.LaunchDigest != launch
                || (imageDigest is not null && server.ImageDigest != imageDigest);
            fates.Add(outdated
                ? new ServerFate(ChangeAction.Replace, server, context.NewName(tier.Name), server.Zone, null)
                : new ServerFate(ChangeAction.NoOp, server, null, server.Zone, null));
        }

        var zones = new ZoneBalancer(Zones(context, tier), fates.Where(f => f.FinalName is not null).Select(f => f.Zone));
        for (var i = live.Count; i < target; i++)
        {
            fates.Add(ServerFate.Create(context, tier.Name, zones, "scale out"));
        }

        var change = Describe(tier, state, imageDigest, parts, fates);
        return new TierOutcome(change, fates);
    }

    private static ResourceChange Describe(
        TierSpec tier, TierState state, string? imageDigest, IReadOnlyDictionary<string, string> parts, List<ServerFate> fates)
    {
        var replaced = fates.Count(f => f.Action == ChangeAction.Replace);
        // An autoscaled tier's desired count is the autoscaler's business; only its bounds come from the spec.
        var boundsChanged = state.Count.Min != tier.Servers.Min || state.Count.Max != tier.Servers.Max
            || (tier.Scaling.Count == 0 && state.Count.Desired != tier.Servers.Desired);
        var countChanged = boundsChanged || fates.Any(f => f.Action is ChangeAction.Create or ChangeAction.Delete);
        var settingsChanged = state.SettingsDigest != SpecDigests.TierSettings(tier);
        var reasons = new List<string>();
        var imageChanged = imageDigest is not null && state.ImageDigest != imageDigest;
        if (replaced > 0)
        {
            // A tier with volumes replaces in place: each server's volumes go to its replacement (see TierDecision).
            var how = tier.Volumes.Count > 0 ? ", in place: each stops before its replacement starts on its volumes" : "";
            reasons.Add($"{ReplacementCause(imageChanged, state, parts)}: rolling replacement of {Words.Servers(replaced)}{how}");
        }

        var liveBefore = fates.Count(f => f.Old is not null);
        var liveAfter = fates.Count(f => f.FinalName is not null);
        if (countChanged)
        {
            reasons.Add(liveBefore == liveAfter ? $"servers {Count(state.Count)} → {Count(tier.Servers)}" : $"servers {liveBefore} → {liveAfter}");
        }

        if (settingsChanged)
        {
            reasons.Add("settings changed in place");
        }

        var action = replaced > 0 ? ChangeAction.Replace : reasons.Count > 0 ? ChangeAction.Update : ChangeAction.NoOp;
        return new ResourceChange
        {
            Address = Addresses.Tier(tier.Name),
            Kind = ResourceKind.Tier,
            Action = action,
            Reason = reasons.Count > 0 ? string.Join("; ", reasons) : null,
            Attributes =
            [
                new("digest", Digests.Short(state.ImageDigest), Digests.Short(imageDigest ?? state.ImageDigest)),
                new("servers", liveBefore.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    liveAfter.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ],
            Children = [.. fates.Where(f => f.Action != ChangeAction.NoOp).Select(f => f.ToChange(tier.Name))],
        };
    }

    private static string ReplacementCause(bool imageChanged, TierState state, IReadOnlyDictionary<string, string> parts)
    {
        var launchChanged = state.LaunchDigest != SpecDigests.Launch(parts);
        if (!imageChanged && !launchChanged)
        {
            return "servers run an older image or launch settings";
        }

        var launchText = "launch settings changed";
        var changed = parts.Where(p => state.LaunchParts.Count > 0 && state.LaunchParts.GetValueOrDefault(p.Key) != p.Value)
            .Select(p => p.Key).ToList();
        if (changed.Count > 0)
        {
            launchText += $" ({string.Join(", ", changed)})";
        }

        return (imageChanged, launchChanged) switch
        {
            (true, true) => $"image changed and {launchText}",
            (true, false) => "image changed",
            _ => launchText,
        };
    }

    /// <summary>
    /// The server count to plan for. A tier with scaling rules keeps the count its autoscaler chose, within the
    /// spec's bounds; otherwise the spec's desired count holds.
    /// </summary>
    private static int Target(TierSpec tier, int live) =>
        tier.Scaling.Count > 0 ? Math.Clamp(live, tier.Servers.Min, Math.Max(tier.Servers.Min, tier.Servers.Max)) : tier.Servers.Desired;

    private static string RemovalReason(ServerState server) => server.IsUnhealthy
        ? $"scale in: {Words.Camel(server.State.ToString())} servers go first"
        : "scale in: oldest first";

    private static IReadOnlyList<string> Zones(PlanContext context, TierSpec tier) => TierZones.Of(tier, context.Options.DefaultZone);

    /// <summary>The environment a server gets, image values overridden by the tier's, in name order, as shown.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Environment(PlanContext context, TierSpec tier, ImageSpec image)
    {
        var merged = new SortedDictionary<string, Template>(StringComparer.Ordinal);
        foreach (var (key, value) in image.Env.Concat(tier.Env))
        {
            merged[key] = value;
        }

        return merged.Select(p => KeyValuePair.Create(p.Key, context.Display(p.Value)));
    }

    internal static string Count(ServerCount count) => CountText(count.Min, count.Max, count.Desired);

    internal static string Count(TierCount count) => CountText(count.Min, count.Max, count.Desired);

    private static string CountText(int min, int max, int desired) =>
        min == max && max == desired
            ? desired.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{desired} (min {min}, max {max})");
}
