using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.Planning.Tiers;

/// <summary>
/// Plans volumes, one per server per volume of the tier. A volume follows its server's fate: a new server gets a new
/// volume, a replacement server takes over the volume of the server it replaces, and a removed server's volume
/// follows its deletion policy.
/// </summary>
internal static class VolumePlanner
{
    public static IReadOnlyList<ResourceChange> Plan(PlanContext context, TierSpec tier, IReadOnlyList<ServerFate> fates)
    {
        var existing = context.VolumesByTier[tier.Name].Where(v => v.Server is not null).ToList();
        var changes = new List<ResourceChange>();
        foreach (var volume in tier.Volumes)
        {
            var attached = existing.Where(v => v.LogicalName == volume.Name)
                .GroupBy(v => v.Server!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var children = fates.Select(f => PlanOne(context, tier, volume, f, attached)).OfType<ResourceChange>().ToList();
            changes.Add(new ResourceChange
            {
                Address = Addresses.Volume(tier.Name, volume.Name),
                Kind = ResourceKind.Volume,
                Action = Aggregate(children),
                Reason = Summarize(children),
                Attributes =
                [
                    new("size", null, Bytes.Format(volume.SizeBytes)),
                    new("mount", null, volume.Mount),
                    new("deletion", null, Words.Effect(volume.DeletionPolicy ?? tier.DeletionPolicy)),
                ],
                Children = children,
            });
        }

        var wanted = tier.Volumes.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        changes.AddRange(PlanRemoval(tier.Name, existing.Where(v => !wanted.Contains(v.LogicalName))));
        return changes;
    }

    /// <summary>Volumes that go with their tier or volume spec: each follows its own deletion policy.</summary>
    public static IEnumerable<ResourceChange> PlanRemoval(string tier, IEnumerable<VolumeState> volumes)
    {
        foreach (var group in volumes.GroupBy(v => v.LogicalName, StringComparer.Ordinal))
        {
            var children = group.Select(v => Removal(tier, v)).ToList();
            yield return new ResourceChange
            {
                Address = Addresses.Volume(tier, group.Key),
                Kind = ResourceKind.Volume,
                Action = ChangeAction.Delete,
                Reason = string.Join(", ", group.Select(v => Words.Effect(v.DeletionPolicy)).Distinct()),
                Children = children,
            };
        }
    }

    private static ResourceChange? PlanOne(
        PlanContext context, TierSpec tier, VolumeSpec volume, ServerFate fate, Dictionary<string, VolumeState> attached)
    {
        var current = fate.Old is null ? null : attached.GetValueOrDefault(fate.Old.Name);
        return (fate.Action, current) switch
        {
            (ChangeAction.Delete, null) => null,
            (ChangeAction.Delete, _) => Removal(tier.Name, current),
            (ChangeAction.NoOp, not null) => null,
            (ChangeAction.Replace, not null) => new ResourceChange
            {
                Address = Addresses.PhysicalVolume(tier.Name, volume.Name, current.Name),
                Kind = ResourceKind.Volume,
                Action = ChangeAction.Update,
                Reason = $"moves to the replacement server {fate.NewName}",
                PhysicalName = current.Name,
                Attributes = [new("server", current.Server, fate.NewName)],
            },
            _ => Creation(context, tier, volume, fate.FinalName!),
        };
    }

    private static ResourceChange Creation(PlanContext context, TierSpec tier, VolumeSpec volume, string server)
    {
        var name = context.NewName($"{tier.Name}-{volume.Name}");
        return new ResourceChange
        {
            Address = Addresses.PhysicalVolume(tier.Name, volume.Name, name),
            Kind = ResourceKind.Volume,
            Action = ChangeAction.Create,
            PhysicalName = name,
            Attributes = [new("server", null, server)],
        };
    }

    private static ResourceChange Removal(string tier, VolumeState volume) => new()
    {
        Address = Addresses.PhysicalVolume(tier, volume.LogicalName, volume.Name),
        Kind = ResourceKind.Volume,
        Action = ChangeAction.Delete,
        Reason = Words.Effect(volume.DeletionPolicy),
        PhysicalName = volume.Name,
        Attributes = [new("server", volume.Server, null)],
    };

    private static ChangeAction Aggregate(IReadOnlyList<ResourceChange> children)
    {
        if (children.Count == 0)
        {
            return ChangeAction.NoOp;
        }

        var first = children[0].Action;
        return children.All(c => c.Action == first) && first is ChangeAction.Create or ChangeAction.Delete
            ? first
            : ChangeAction.Update;
    }

    private static string? Summarize(IReadOnlyList<ResourceChange> children)
    {
        var parts = children.GroupBy(c => c.Action).OrderBy(g => g.Key)
            .Select(g => g.Key switch
            {
                ChangeAction.Create => $"{g.Count()} new",
                ChangeAction.Update => $"{g.Count()} moved to replacement servers",
                _ => $"{g.Count()} removed ({string.Join(", ", g.Select(c => c.Reason).Distinct())})",
            })
            .ToList();
        return parts.Count > 0 ? string.Join("; ", parts) : null;
    }
}

/// <summary>Sizes for people: binary units, at most one decimal.</summary>
internal static class Bytes
{
    private static readonly string[] s_units = ["B", "KiB", "MiB", "GiB", "TiB"];

    public static string Format(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < s_units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{value:0.#} {s_units[unit]}");
    }
}
