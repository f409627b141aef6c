using Strata.Spec.Diagnostics;
using Strata.Spec.Grammar;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads a health check of a tier or a load balancer.</summary>
internal static class HealthReader
{
    private static readonly string[] s_keys = ["http", "tcp", "command", "port", "interval", "timeout", "healthyAfter", "unhealthyAfter", "grace"];
    private static readonly string[] s_kinds = ["http", "tcp", "command"];

    /// <summary>The longest run of consecutive probes a threshold may ask for.</summary>
    private const int MaxThreshold = 100;

    public static HealthCheckSpec? Read(SpecNode node, string path, SourceLocation owner, ReadContext context, IReadOnlyList<PortSpec> ports, string? tier)
    {
        if (MapReader.Open(node, path, owner, context, s_keys) is not { } map)
        {
            return null;
        }

        var kinds = s_kinds.Where(map.Has).ToList();
        if (kinds.Count != 1)
        {
            var at = kinds.Count == 0 ? owner : map.KeyOf(kinds[1])!.Location;
            context.Error(at, DiagnosticCodes.Conflict, $"{path}: needs exactly one of http, tcp or command{(kinds.Count == 0 ? "" : $", found {string.Join(" and ", kinds)}")}",
                "write http: /healthz, tcp: 5432 or command: ./check.sh");
            return null;
        }

        var defaults = new HealthCheckSpec { Kind = HealthCheckKind.Http };
        var check = new HealthCheckSpec
        {
            Kind = kinds[0] switch { "http" => HealthCheckKind.Http, "tcp" => HealthCheckKind.Tcp, _ => HealthCheckKind.Command },
            Path = kinds[0] == "http" ? ReadPath(map["http"]!, path + ".http", context) : null,
            Port = kinds[0] == "tcp" ? context.Int(map["tcp"], path + ".tcp", 1, 65535) : context.Int(map["port"], path + ".port", 1, 65535),
            Command = kinds[0] == "command" ? context.Template(map["command"], path + ".command", TemplateUse.HealthCommand, tier) : null,
            Interval = context.Duration(map["interval"], path + ".interval", positive: true) ?? defaults.Interval,
            Timeout = context.Duration(map["timeout"], path + ".timeout", positive: true) ?? defaults.Timeout,
            HealthyAfter = context.Int(map["healthyAfter"], path + ".healthyAfter", 1, MaxThreshold) ?? defaults.HealthyAfter,
            UnhealthyAfter = context.Int(map["unhealthyAfter"], path + ".unhealthyAfter", 1, MaxThreshold) ?? defaults.UnhealthyAfter,
            Grace = context.Duration(map["grace"], path + ".grace") ?? defaults.Grace,
            Location = owner,
        };

        if (!map.Has("timeout") && check.Timeout >= check.Interval)
        {
            // A short interval without a timeout gets one that fits, rather than an error about a value never written.
            check = check with { Timeout = check.Interval / 2 };
        }

        if (check.Timeout >= check.Interval)
        {
            context.Error(map["timeout"]!.Location, DiagnosticCodes.OutOfRange,
                $"{path}: timeout ({SpecValues.FormatDuration(check.Timeout)}) must be shorter than interval ({SpecValues.FormatDuration(check.Interval)})",
                "a probe must finish before the next one starts");
        }

        if (check.Kind == HealthCheckKind.Http && check.Port is null && ports.Count == 0 && tier is not null && !map.Has("port"))
        {
            context.Error(map.KeyOf("http")!.Location, DiagnosticCodes.MissingKey, $"{path}: an http check needs a port, and the tier declares none",
                "add ports: [8000] to the tier, or port: 8000 to the check");
        }

        return check;
    }

    private static string? ReadPath(SpecNode node, string path, ReadContext context)
    {
        if (context.Text(node, path) is not { } text)
        {
            return null;
        }

        if (text.StartsWith('/') && !text.Any(char.IsWhiteSpace))
        {
            return text;
        }

        context.Error(node.Location, DiagnosticCodes.InvalidValue, $"{path}: '{text}' is not a request path", "write a path starting with '/', e.g. /healthz");
        return null;
    }
}
