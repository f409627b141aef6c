using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads the <c>firewall</c> rules: <c>web -> db:5432</c>, <c>any -> front:8080/tcp</c>, or maps with from, to, port and protocol.</summary>
internal static partial class FirewallReader
{
    private static readonly string[] s_keys = ["from", "to", "port", "protocol"];

    private static readonly Dictionary<string, FirewallProtocol> s_protocols = new(StringComparer.Ordinal)
    {
        ["tcp"] = FirewallProtocol.Tcp, ["udp"] = FirewallProtocol.Udp,
    };

    public static IReadOnlyList<FirewallRuleSpec> Read(SpecNode? node, ReadContext context, IReadOnlyList<LoadBalancerSpec> balancers)
    {
        var result = new List<FirewallRuleSpec>();
        var items = context.List(node, "firewall") ?? [];
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"firewall[{i}]";
            var rule = items[i] is SpecScalar scalar ? ReadText(scalar, path, context) : ReadMap(items[i], path, context);
            if (rule is not null && Check(rule, items[i], path, context, balancers))
            {
                result.Add(rule);
            }
        }

        return result;
    }

    private static FirewallRuleSpec? ReadText(SpecScalar scalar, string path, ReadContext context)
    {
        var match = RulePattern().Match(scalar.Value);
        if (!match.Success || !int.TryParse(match.Groups[3].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            context.Error(scalar.Location, DiagnosticCodes.InvalidValue, $"{path}: '{scalar.Value}' is not a firewall rule", "write <from> -> <to>:<port>, e.g. web -> db:5432 or any -> front:8080/tcp");
            return null;
        }

        var protocol = match.Groups[4].Success ? s_protocols[match.Groups[4].Value] : FirewallProtocol.Tcp;
        return new FirewallRuleSpec(match.Groups[1].Value, match.Groups[2].Value, port, protocol, scalar.Location);
    }

    private static FirewallRuleSpec? ReadMap(SpecNode node, string path, ReadContext context)
    {
        if (MapReader.Open(node, path, node.Location, context, s_keys) is not { } map)
        {
            return null;
        }

        var from = context.Text(map.Required("from", "write from: web (a tier, a load balancer or any)"), path + ".from");
        var to = context.Text(map.Required("to", "write to: db (a tier or a load balancer)"), path + ".to");
        var port = context.Int(map.Required("port", "write port: 5432"), path + ".port", 1, 65535);
        var protocol = context.Choice(map["protocol"], path + ".protocol", s_protocols) ?? FirewallProtocol.Tcp;
        return from is null || to is null || port is null ? null : new FirewallRuleSpec(from, to, port.Value, protocol, map.Mapping.Location);
    }

    private static bool Check(FirewallRuleSpec rule, SpecNode node, string path, ReadContext context, IReadOnlyList<LoadBalancerSpec> balancers)
    {
        var endpoints = context.DeclaredTiers.Keys.Concat(context.DeclaredLoadBalancers.Keys).ToList();
        var from = rule.From == FirewallRuleSpec.Any || context.DeclaredTiers.ContainsKey(rule.From) || context.DeclaredLoadBalancers.ContainsKey(rule.From);
        if (!from)
        {
            context.Error(node.Location, DiagnosticCodes.UnknownReference, $"{path}: '{rule.From}' is not a tier, a load balancer or any", NameSuggestions.Hint(rule.From, [.. endpoints, FirewallRuleSpec.Any], "endpoint"));
            return false;
        }

        if (context.Tiers.TryGetValue(rule.To, out var tier))
        {
            return tier.Ports.Any(p => p.Port == rule.Port) || Fail(context, node, $"{path}: tier '{rule.To}' has no port {rule.Port}", $"add {rule.Port} to tiers.{rule.To}.ports");
        }

        if (balancers.FirstOrDefault(b => b.Name == rule.To) is { } balancer)
        {
            return balancer.ListenPort == rule.Port || Fail(context, node, $"{path}: load balancer '{rule.To}' listens on port {balancer.ListenPort}, not {rule.Port}", null);
        }

        if (context.DeclaredTiers.ContainsKey(rule.To) || context.DeclaredLoadBalancers.ContainsKey(rule.To))
        {
            return false;
        }

        var hint = rule.To == FirewallRuleSpec.Any ? "rules allow traffic to a tier or a load balancer, so 'any' may only be the source" : NameSuggestions.Hint(rule.To, endpoints, "endpoint");
        context.Error(node.Location, DiagnosticCodes.UnknownReference, $"{path}: '{rule.To}' is not a tier or a load balancer", hint);
        return false;
    }

    private static bool Fail(ReadContext context, SpecNode node, string message, string? hint)
    {
        context.Error(node.Location, DiagnosticCodes.UnknownReference, message, hint);
        return false;
    }

    [GeneratedRegex(@"^\s*([a-z][a-z0-9-]*)\s*->\s*([a-z][a-z0-9-]*)\s*:\s*([0-9]{1,5})\s*(?:/\s*(tcp|udp))?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex RulePattern();
}
