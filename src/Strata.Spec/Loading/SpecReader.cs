using Strata.Spec.Diagnostics;
using Strata.Spec.Grammar;
using Strata.Spec.Model;
using Strata.Spec.Parameters;
using Strata.Spec.Validation;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads the root mapping of a spec into a <see cref="DeploymentSpec"/>, section by section.</summary>
internal static class SpecReader
{
    private static readonly string[] s_keys =
        ["deployment", "description", "provider", "parameters", "images", "tiers", "loadBalancers", "firewall", "storage", "outputs"];

    public static DeploymentSpec? Read(SpecNode? root, ReadContext context)
    {
        if (root is null or SpecScalar { IsNull: true })
        {
            context.Error(new SourceLocation(context.File, 1, 1), DiagnosticCodes.MissingKey, "the spec is empty", "start with 'deployment: <name>' and declare images and tiers");
            return null;
        }

        if (MapReader.Open(root, "", root.Location, context, s_keys) is not { } map)
        {
            return null;
        }

        var name = ReadDeploymentName(map, context);
        Declare(map["images"], context.DeclaredImages);
        Declare(map["tiers"], context.DeclaredTiers);
        Declare(map["loadBalancers"], context.DeclaredLoadBalancers);

        var parameters = ParameterReader.Read(map["parameters"], map.KeyOf("parameters")?.Location ?? root.Location, context);
        var images = ImageReader.Read(map["images"], map.KeyOf("images")?.Location ?? root.Location, context);
        var tiers = TierReader.Read(map["tiers"], map.KeyOf("tiers")?.Location ?? root.Location, context);
        CheckTierReferences(context);
        var balancers = LoadBalancerReader.Read(map["loadBalancers"], map.KeyOf("loadBalancers")?.Location ?? root.Location, context);
        var spec = new DeploymentSpec
        {
            Name = name ?? "",
            Description = context.Text(map["description"], "description"),
            Provider = ReadProvider(map["provider"], context),
            SourceFile = context.File,
            Parameters = parameters,
            ResolvedParameters = new Dictionary<string, string>(context.ParameterValues, StringComparer.Ordinal),
            Images = images,
            Tiers = tiers,
            LoadBalancers = balancers,
            Firewall = FirewallReader.Read(map["firewall"], context, balancers),
            Storage = StorageReader.Read(map["storage"], map.KeyOf("storage")?.Location ?? root.Location, context),
            Outputs = OutputReader.Read(map["outputs"], map.KeyOf("outputs")?.Location ?? root.Location, context),
            Location = root.Location,
        };

        CheckCycles(spec, context);
        return spec;
    }

    private static string? ReadDeploymentName(MapReader map, ReadContext context)
    {
        if (map.Required("deployment", "name the deployment first, e.g. deployment: status-page") is not { } node)
        {
            return null;
        }

        if (node is not SpecScalar { IsNull: false } scalar)
        {
            context.Error(node.Location, DiagnosticCodes.WrongShape, $"deployment: expected a name, found {node.KindName}", "write deployment: <name>");
            return null;
        }

        return context.CheckName(scalar, "deployment", "deployment", SpecValues.MaxDeploymentNameLength) ? scalar.Value : null;
    }

    private static string ReadProvider(SpecNode? node, ReadContext context)
    {
        const string fallback = "local";
        if (node is null or SpecScalar { IsNull: true })
        {
            return fallback;
        }

        if (node is not SpecScalar scalar)
        {
            context.Error(node.Location, DiagnosticCodes.WrongShape, $"provider: expected a name, found {node.KindName}", "write provider: local");
            return fallback;
        }

        if (!SpecValues.Providers.Contains(scalar.Value))
        {
            var known = string.Join(", ", SpecValues.Providers);
            var hint = NameSuggestions.Nearest(scalar.Value, SpecValues.Providers) is { } near ? $"did you mean '{near}'? " : "";
            context.Error(scalar.Location, DiagnosticCodes.NotAllowed, $"provider: '{scalar.Value}' is not a known provider (known: {known})",
                $"{hint}write provider: local, or leave it out".Trim());
            return fallback;
        }

        return scalar.Value;
    }

    private static void Declare(SpecNode? section, Dictionary<string, SpecScalar> declared)
    {
        if (section is SpecMapping mapping)
        {
            foreach (var (key, _) in mapping.Entries)
            {
                declared[key.Value] = key;
            }
        }
    }

    /// <summary>Checks server indexes and port names once every tier's server count and ports are known.</summary>
    private static void CheckTierReferences(ReadContext context)
    {
        foreach (var reference in context.TierReferences)
        {
            if (!context.Tiers.TryGetValue(reference.Tier, out var tier))
            {
                continue;
            }

            if (reference.Index is { } index && index >= tier.Servers.Max)
            {
                context.Error(reference.Location, DiagnosticCodes.OutOfRange,
                    $"'{reference.Text}': tier '{tier.Name}' has at most {tier.Servers.Max} server{(tier.Servers.Max == 1 ? "" : "s")}, so there is no server {index}",
                    "server indexes start at 0");
            }

            if (reference.Port is { } port && !tier.Ports.Any(p => p.Name == port))
            {
                context.Error(reference.Location, DiagnosticCodes.UnknownReference, $"'{reference.Text}': tier '{tier.Name}' has no port named '{port}'",
                    NameSuggestions.Hint(port, [.. tier.Ports.Select(p => p.Name)], "port"));
            }
        }
    }

    private static void CheckCycles(DeploymentSpec spec, ReadContext context)
    {
        var graph = new DependencyGraph(
            [.. spec.Images.Select(i => "images." + i.Name), .. spec.Tiers.Select(t => "tiers." + t.Name), .. spec.LoadBalancers.Select(l => "loadBalancers." + l.Name)],
            context.Edges);
        foreach (var (path, location) in graph.FindCycles())
        {
            context.Error(location, DiagnosticCodes.DependencyCycle, $"dependency cycle: {string.Join(" -> ", path)}",
                "a tier cannot need the addresses of a tier that needs its own; break the cycle with a load balancer address or a parameter");
        }
    }
}
