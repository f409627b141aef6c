using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads the <c>tiers</c> section.</summary>
internal static class TierReader
{
    private static readonly string[] s_keys =
        ["image", "servers", "ports", "env", "volumes", "health", "scaling", "update", "recoveryDelay", "maxReplacing", "maxAge", "deletionPolicy", "volumeRecovery", "backups", "zones", "placement", "resources", "dependsOn", "protocol"];

    private static readonly string[] s_serverKeys = ["min", "max", "desired"];

    /// <summary>The most servers one tier may run.</summary>
    private const int MaxServers = 10_000;

    internal static readonly Dictionary<string, DeletionPolicy> DeletionPolicies = new(StringComparer.Ordinal)
    {
        ["delete"] = DeletionPolicy.Delete, ["retain"] = DeletionPolicy.Retain, ["snapshot"] = DeletionPolicy.Snapshot,
    };

    internal static readonly Dictionary<string, VolumeRecovery> VolumeRecoveries = new(StringComparer.Ordinal)
    {
        ["wait"] = VolumeRecovery.Wait, ["restoreLatest"] = VolumeRecovery.RestoreLatest,
    };

    internal static readonly Dictionary<string, TierProtocol> Protocols = new(StringComparer.Ordinal)
    {
        ["http1"] = TierProtocol.Http1, ["h2c"] = TierProtocol.H2c,
    };

    public static IReadOnlyList<TierSpec> Read(SpecNode? node, SourceLocation owner, ReadContext context)
    {
        if (MapReader.OpenNamed(node, "tiers", owner, context) is not { } section)
        {
            return [];
        }

        var result = new List<TierSpec>();
        foreach (var (key, body) in section.Entries)
        {
            var named = context.CheckName(key, "tiers", "tier");
            if (MapReader.Open(body, $"tiers.{key.Value}", key.Location, context, s_keys) is { } map && ReadOne(key, map, context) is { } tier && named)
            {
                result.Add(tier);
                context.Tiers[tier.Name] = tier;
            }
        }

        return result;
    }

    private static TierSpec? ReadOne(SpecScalar key, MapReader map, ReadContext context)
    {
        var name = key.Value;
        var path = $"tiers.{name}";
        var image = ReadImage(map, path, context);
        var ports = ReadPorts(map["ports"], path + ".ports", key.Location, context);
        var volumes = VolumeReader.Read(map["volumes"], path + ".volumes", key.Location, context);
        var tier = new TierSpec
        {
            Name = name,
            Image = image?.Name ?? "",
            Servers = ReadServers(map["servers"], path + ".servers", key.Location, context) ?? ServerCount.Fixed(1),
            Ports = ports,
            Env = ImageReader.ReadEnv(map["env"], path + ".env", key.Location, context, name),
            Volumes = volumes,
            Health = map["health"] is { } health ? HealthReader.Read(health, path + ".health", map.KeyOf("health")!.Location, context, ports, name) : null,
            Scaling = ScalingReader.Read(map["scaling"], path + ".scaling", context, image),
            Update = UpdateReader.Read(map["update"], path + ".update", key.Location, context),
            RecoveryDelay = context.Duration(map["recoveryDelay"], path + ".recoveryDelay") ?? TimeSpan.Zero,
            MaxReplacing = ReadMaxReplacing(map["maxReplacing"], path + ".maxReplacing", context),
            MaxAge = context.Duration(map["maxAge"], path + ".maxAge", positive: true),
            DeletionPolicy = context.Choice(map["deletionPolicy"], path + ".deletionPolicy", DeletionPolicies) ?? DeletionPolicy.Delete,
            VolumeRecovery = context.Choice(map["volumeRecovery"], path + ".volumeRecovery", VolumeRecoveries) ?? VolumeRecovery.Wait,
            Protocol = context.Choice(map["protocol"], path + ".protocol", Protocols) ?? TierProtocol.Http1,
            Backups = BackupReader.Read(map["backups"], path + ".backups", key.Location, context, volumes, image),
            Zones = ReadNames(map["zones"], path + ".zones", "zone", context),
            Placement = PlacementReader.Read(map["placement"], path + ".placement", key.Location, map["zones"], context),
            Resources = ResourcesReader.Read(map["resources"], path + ".resources", key.Location, context),
            DependsOn = ReadDependsOn(map["dependsOn"], path + ".dependsOn", name, context),
            Location = key.Location,
        };

        if (image is not null && context.ImageTierReferences.TryGetValue(image.Name, out var references))
        {
            foreach (var (other, location) in references.Where(r => r.Tier != name))
            {
                context.Edges.Add(new DependencyEdge("tiers." + name, "tiers." + other, location));
            }
        }

        CheckScheduleBounds(tier, context);
        CheckVolumeRecovery(tier, map, context);
        CheckVolumeUpdate(tier, map, context);
        return image is null ? null : tier;
    }

    /// <summary>
    /// A tier with volumes is updated in place: a server's volumes go to its replacement, which starts only once the
    /// old server has stopped. A surge would start new servers beside the old ones, on new and empty volumes.
    /// </summary>
    private static void CheckVolumeUpdate(TierSpec tier, MapReader map, ReadContext context)
    {
        if (tier.Volumes.Count == 0 || tier.Update.MaxSurge.Value == 0 || map["update"] is not SpecMapping update
            || update.Entries.FirstOrDefault(e => e.Key.Value == "maxSurge").Value is not { } surge)
        {
            return;
        }

        context.Error(surge.Location, DiagnosticCodes.Conflict,
            $"tiers.{tier.Name}.update.maxSurge: tier {tier.Name} has volumes, so it is updated in place: each server stops before its replacement starts on its volumes, and no server is added beside the old ones",
            "remove maxSurge (or set it to 0); maxUnavailable says how many servers are replaced at once, at least 1");
    }

    /// <summary>A tier that restores its volumes from their newest snapshot needs volumes, and snapshots of each.</summary>
    private static void CheckVolumeRecovery(TierSpec tier, MapReader map, ReadContext context)
    {
        if (tier.VolumeRecovery != VolumeRecovery.RestoreLatest || map["volumeRecovery"] is not { } node)
        {
            return;
        }

        var path = $"tiers.{tier.Name}.volumeRecovery";
        if (tier.Volumes.Count == 0)
        {
            context.Error(node.Location, DiagnosticCodes.NotAllowed, $"{path}: restoreLatest restores a tier's volumes, and tier {tier.Name} has none", "remove volumeRecovery, or give the tier a volume");
            return;
        }

        foreach (var volume in tier.Volumes.Where(v => tier.Backups.All(b => b.Kind != BackupKind.Snapshot || b.Volume != v.Name)))
        {
            context.Error(node.Location, DiagnosticCodes.MissingKey,
                $"{path}: restoreLatest restores volume '{volume.Name}' from its newest snapshot, and no backup policy of tier {tier.Name} takes snapshots of it",
                $"add one, e.g. backups: {{ nightly: {{ snapshot: {volume.Name}, cron: \"0 3 * * *\" }} }}");
        }
    }

    private static ImageSpec? ReadImage(MapReader map, string path, ReadContext context)
    {
        if (map.Required("image", "every tier names the image its servers run, e.g. image: web") is not SpecScalar node || context.Text(node, path + ".image") is not { } name)
        {
            if (map["image"] is { } wrong and not SpecScalar)
            {
                context.Error(wrong.Location, DiagnosticCodes.WrongShape, $"{path}.image: expected a single value, found {wrong.KindName}", null);
            }

            return null;
        }

        if (!context.DeclaredImages.ContainsKey(name))
        {
            context.UnknownName(node.Location, path + ".image", "image", name, context.DeclaredImages.Keys);
        }

        return context.Images.GetValueOrDefault(name);
    }

    private static ServerCount? ReadServers(SpecNode? node, string path, SourceLocation owner, ReadContext context)
    {
        if (node is SpecScalar)
        {
            return context.Int(node, path, 0, MaxServers) is { } n ? ServerCount.Fixed(n) : null;
        }

        if (MapReader.Open(node, path, owner, context, s_serverKeys) is not { } map)
        {
            return null;
        }

        var min = context.Int(map.Required("min", "write servers: { min: 1, max: 4 }"), path + ".min", 0, MaxServers);
        var max = context.Int(map.Required("max", "write servers: { min: 1, max: 4 }"), path + ".max", 0, MaxServers);
        var desired = map.Has("desired") ? context.Int(map["desired"], path + ".desired", 0, MaxServers) : min;
        if (min is null || max is null || desired is null)
        {
            return null;
        }

        if (min > max)
        {
            context.Error(map["max"]!.Location, DiagnosticCodes.OutOfRange, $"{path}: max ({max}) is less than min ({min})", "min ≤ desired ≤ max must hold");
            return null;
        }

        if (desired < min || desired > max)
        {
            context.Error(map["desired"]!.Location, DiagnosticCodes.OutOfRange, $"{path}: desired ({desired}) is not between min ({min}) and max ({max})", "min ≤ desired ≤ max must hold");
            return null;
        }

        return new ServerCount(min.Value, max.Value, desired.Value);
    }

    private static IReadOnlyList<PortSpec> ReadPorts(SpecNode? node, string path, SourceLocation owner, ReadContext context)
    {
        var entries = new List<(string Name, SpecNode Node, SpecScalar? Key)>();
        if (node is SpecMapping)
        {
            foreach (var (key, value) in MapReader.OpenNamed(node, path, owner, context)!.Entries)
            {
                if (context.CheckName(key, path, "port"))
                {
                    entries.Add((key.Value, value, key));
                }
            }
        }
        else if (context.List(node, path) is { } items)
        {
            entries.AddRange(items.Select((item, i) => ($"{i}", item, (SpecScalar?)null)));
        }

        var result = new List<PortSpec>();
        var seen = new Dictionary<int, PortSpec>();
        foreach (var (name, value, key) in entries)
        {
            var itemPath = key is null ? $"{path}[{name}]" : $"{path}.{name}";
            if (context.Int(value, itemPath, 1, 65535) is not { } port)
            {
                continue;
            }

            var spec = new PortSpec(key is null ? $"p{port}" : name, port, value.Location);
            if (seen.TryGetValue(port, out var first))
            {
                context.Error(value.Location, DiagnosticCodes.Duplicate, $"{path}: port {port} is listed twice", $"it is first listed at line {first.Location.Line}");
                continue;
            }

            seen[port] = spec;
            result.Add(spec);
        }

        return result;
    }

    private static CountOrPercent ReadMaxReplacing(SpecNode? node, string path, ReadContext context)
    {
        var value = context.CountOrPercent(node, path);
        if (value is { Value: 0 })
        {
            context.Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: 0 would never replace an unhealthy server",
                "write at least 1, or a percentage above 0% such as 10% (a tier replaces at least one server at a time)");
        }

        return value ?? TierSpec.DefaultMaxReplacing;
    }

    internal static IReadOnlyList<string> ReadNames(SpecNode? node, string path, string kind, ReadContext context)
    {
        var result = new List<string>();
        foreach (var (item, i) in (context.List(node, path) ?? []).Select((item, i) => (item, i)))
        {
            if (item is SpecScalar scalar && !scalar.IsNull)
            {
                if (context.CheckName(scalar, $"{path}[{i}]", kind))
                {
                    result.Add(scalar.Value);
                }
            }
            else
            {
                context.Error(item.Location, DiagnosticCodes.WrongShape, $"{path}[{i}]: expected a name, found {item.KindName}", null);
            }
        }

        return result;
    }

    private static IReadOnlyList<string> ReadDependsOn(SpecNode? node, string path, string tier, ReadContext context)
    {
        var names = ReadNames(node, path, "tier", context);
        var items = node as SpecSequence;
        for (var i = 0; i < names.Count && items is not null; i++)
        {
            var location = items.Items.OfType<SpecScalar>().First(s => s.Value == names[i]).Location;
            if (!context.DeclaredTiers.ContainsKey(names[i]))
            {
                context.UnknownName(location, path, "tier", names[i], context.DeclaredTiers.Keys);
            }
            else if (names[i] != tier)
            {
                context.Edges.Add(new DependencyEdge("tiers." + tier, "tiers." + names[i], location));
            }
            else
            {
                context.Error(location, DiagnosticCodes.DependencyCycle, $"{path}: tier '{tier}' cannot depend on itself", null);
            }
        }

        return names;
    }

    private static void CheckScheduleBounds(TierSpec tier, ReadContext context)
    {
        foreach (var rule in tier.Scaling.Where(r => r.Kind == ScalingRuleKind.Schedule))
        {
            if (rule.ScheduleMax > tier.Servers.Max || rule.ScheduleMin < tier.Servers.Min)
            {
                context.Error(rule.Location, DiagnosticCodes.OutOfRange, $"tiers.{tier.Name}.scaling: the schedule's bounds ({rule.ScheduleMin}–{rule.ScheduleMax}) are outside the tier's servers ({tier.Servers.Min}–{tier.Servers.Max})",
                    "a schedule may only move within the tier's min and max");
            }
        }
    }
}
