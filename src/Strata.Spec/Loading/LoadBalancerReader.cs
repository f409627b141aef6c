using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads the <c>loadBalancers</c> section.</summary>
internal static class LoadBalancerReader
{
    private static readonly string[] s_keys = ["listen", "to", "algorithm", "driver", "health", "tls", "sticky", "drainTimeout", "maxConnections", "responseHeaderTimeout", "maxRequestBody", "placement"];
    private static readonly string[] s_tlsKeys = ["certificate", "key"];

    private static readonly Dictionary<string, LoadBalancingAlgorithm> s_algorithms = new(StringComparer.Ordinal)
    {
        ["roundRobin"] = LoadBalancingAlgorithm.RoundRobin, ["leastConnections"] = LoadBalancingAlgorithm.LeastConnections, ["sourceHash"] = LoadBalancingAlgorithm.SourceHash,
    };

    private static readonly Dictionary<string, int> s_drivers = new(StringComparer.Ordinal) { ["builtin"] = 0, ["haproxy"] = 1 };

    public static IReadOnlyList<LoadBalancerSpec> Read(SpecNode? node, SourceLocation owner, ReadContext context)
    {
        if (MapReader.OpenNamed(node, "loadBalancers", owner, context) is not { } section)
        {
            return [];
        }

        var result = new List<LoadBalancerSpec>();
        var listens = new Dictionary<string, (string Name, SourceLocation Location)>(StringComparer.Ordinal);
        foreach (var (key, body) in section.Entries)
        {
            var named = context.CheckName(key, "loadBalancers", "load balancer");
            if (MapReader.Open(body, $"loadBalancers.{key.Value}", key.Location, context, s_keys) is not { } map || ReadOne(key, map, context) is not { } balancer)
            {
                continue;
            }

            if (listens.TryGetValue(balancer.Listen, out var first))
            {
                context.Error(map["listen"]!.Location, DiagnosticCodes.Duplicate, $"loadBalancers.{key.Value}.listen: {balancer.Listen} is already listened on by load balancer '{first.Name}'",
                    $"'{first.Name}' listens there at line {first.Location.Line}; choose another port");
                continue;
            }

            listens[balancer.Listen] = (balancer.Name, map["listen"]!.Location);
            if (named)
            {
                result.Add(balancer);
            }
        }

        return result;
    }

    private static LoadBalancerSpec? ReadOne(SpecScalar key, MapReader map, ReadContext context)
    {
        var path = $"loadBalancers.{key.Value}";
        var placement = PlacementReader.Read(map["placement"], path + ".placement", map.KeyOf("placement")?.Location ?? key.Location, null, context, forLoadBalancer: true);
        var listen = ReadListen(map.Required("listen", placement is null ? "write listen: 127.0.0.1:8080" : "write listen: 8080 (a port of its host)"), path + ".listen", placement is not null, context);
        var target = ReadTarget(map.Required("to", "write to: <tier>:<port>, e.g. to: web:8000"), path + ".to", context);
        var ports = target is null ? [] : context.Tiers.GetValueOrDefault(target.Value.Tier)?.Ports ?? [];
        var tls = MapReader.Open(map["tls"], path + ".tls", map.KeyOf("tls")?.Location ?? key.Location, context, s_tlsKeys);
        var balancer = new LoadBalancerSpec
        {
            Name = key.Value,
            ListenHost = listen?.Host ?? "",
            ListenPort = listen?.Port ?? 0,
            TargetTier = target?.Tier ?? "",
            TargetPort = target?.Port ?? 0,
            Algorithm = context.Choice(map["algorithm"], path + ".algorithm", s_algorithms) ?? LoadBalancingAlgorithm.RoundRobin,
            Driver = context.Choice(map["driver"], path + ".driver", s_drivers) is { } driver ? s_drivers.First(d => d.Value == driver).Key : "builtin",
            Health = map["health"] is { } health ? HealthReader.Read(health, path + ".health", map.KeyOf("health")!.Location, context, ports, null) : null,
            Tls = tls is null ? null : ReadTls(tls, path + ".tls", context),
            Sticky = context.Bool(map["sticky"], path + ".sticky") ?? false,
            DrainTimeout = context.Duration(map["drainTimeout"], path + ".drainTimeout") ?? TimeSpan.FromSeconds(10),
            MaxConnections = context.Int(map["maxConnections"], path + ".maxConnections", 1, 1_000_000) ?? LoadBalancerSpec.DefaultMaxConnections,
            ResponseHeaderTimeout = context.Duration(map["responseHeaderTimeout"], path + ".responseHeaderTimeout", positive: true)
                ?? LoadBalancerSpec.DefaultResponseHeaderTimeout,
            MaxRequestBodyBytes = ReadBodyLimit(map["maxRequestBody"], path + ".maxRequestBody", context),
            Placement = placement,
            Location = key.Location,
        };
        return listen is null || target is null ? null : balancer;
    }

    private static long ReadBodyLimit(SpecNode? node, string path, ReadContext context)
    {
        var size = context.Size(node, path);
        if (size is < 1)
        {
            context.Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: the limit must be at least one byte", "write a size such as 32MiB");
            return LoadBalancerSpec.DefaultMaxRequestBodyBytes;
        }

        return size ?? LoadBalancerSpec.DefaultMaxRequestBodyBytes;
    }

    /// <summary>
    /// Reads <c>127.0.0.1:8080</c>, or a bare port on 127.0.0.1; a load balancer placed on a host takes a port only,
    /// which it listens on at its host's address.
    /// </summary>
    private static (string Host, int Port)? ReadListen(SpecNode? node, string path, bool placed, ReadContext context)
    {
        if (context.Text(node, path) is not { } text)
        {
            return null;
        }

        var colon = text.LastIndexOf(':');
        if (placed && colon >= 0)
        {
            context.Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: a load balancer with placement listens on the address of the host it is placed on",
                $"write the port alone, e.g. listen: {text[(colon + 1)..].Trim()}");
            return null;
        }

        var host = colon < 0 ? "127.0.0.1" : text[..colon].Trim();
        var portText = colon < 0 ? text : text[(colon + 1)..];
        if (!int.TryParse(portText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            context.Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: '{text}' is not an address and port", "write 127.0.0.1:8080 (a port from 1 to 65535)");
            return null;
        }

        if (placed)
        {
            return ("", port);
        }

        if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != AddressFamily.InterNetwork || address.GetAddressBytes()[0] != 127 || host.Count(c => c == '.') != 3)
        {
            var hint = host == "localhost" ? $"write 127.0.0.1:{port} instead of localhost" : "the local provider listens on loopback only: use an address from 127.0.0.1 to 127.255.255.254";
            context.Error(node!.Location, DiagnosticCodes.NotLoopback, $"{path}: '{host}' is not a loopback address", hint);
            return null;
        }

        return (host, port);
    }

    /// <summary>Reads <c>web:8000</c> or <c>web:http</c>: a tier and one of its ports, by number or by name.</summary>
    private static (string Tier, int Port)? ReadTarget(SpecNode? node, string path, ReadContext context)
    {
        if (context.Text(node, path) is not { } text)
        {
            return null;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            context.Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: '{text}' is not a tier and port", "write <tier>:<port>, e.g. web:8000");
            return null;
        }

        var tierName = text[..colon].Trim();
        var portText = text[(colon + 1)..].Trim();
        if (!context.DeclaredTiers.ContainsKey(tierName))
        {
            context.UnknownName(node!.Location, path, "tier", tierName, context.DeclaredTiers.Keys);
            return null;
        }

        if (!context.Tiers.TryGetValue(tierName, out var tier))
        {
            return null;
        }

        var port = tier.Ports.FirstOrDefault(p => p.Name == portText || p.Port.ToString(CultureInfo.InvariantCulture) == portText);
        if (port is null)
        {
            var declared = tier.Ports.Count == 0 ? "it declares none" : $"it declares {string.Join(", ", tier.Ports.Select(p => p.Port))}";
            context.Error(node!.Location, DiagnosticCodes.UnknownReference, $"{path}: tier '{tierName}' has no port '{portText}'", $"{declared}; add it to tiers.{tierName}.ports");
            return null;
        }

        return (tierName, port.Port);
    }

    private static TlsSpec? ReadTls(MapReader map, string path, ReadContext context)
    {
        var certificate = context.Text(map.Required("certificate", "the PEM certificate file, relative to the spec"), path + ".certificate");
        var key = context.Text(map.Required("key", "the PEM private key file, relative to the spec"), path + ".key");
        return certificate is null || key is null ? null : new TlsSpec(certificate, key, map.Owner);
    }
}
