using System.Globalization;
using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads a tier's <c>resources</c>: <c>{ cpu: 0.5, memory: 256MiB }</c>, what each server reserves on its host.</summary>
internal static class ResourcesReader
{
    private static readonly string[] s_keys = ["cpu", "memory"];

    /// <summary>The most cores one server may reserve: more than any host has, so a larger value is a typo (milli-cores?).</summary>
    private const double MaxCpu = 1024;

    /// <summary>The smallest share of a core a server may reserve: finer than this is noise in a host's sum.</summary>
    private const double MinCpu = 0.001;

    /// <param name="node">The <c>resources</c> value, or null when the tier has none.</param>
    /// <param name="path">E.g. <c>tiers.web.resources</c>.</param>
    /// <param name="owner">Where the tier is, for a value that is missing.</param>
    /// <param name="context">Where diagnostics go.</param>
    public static ResourcesSpec? Read(SpecNode? node, string path, SourceLocation owner, ReadContext context)
    {
        if (node is null || MapReader.Open(node, path, owner, context, s_keys) is not { } map)
        {
            return null;
        }

        if (map["cpu"] is null && map["memory"] is null)
        {
            context.Error(map.Mapping.Location, DiagnosticCodes.MissingKey, $"{path}: says neither cpu nor memory",
                "write resources: { cpu: 0.5, memory: 256MiB }, or leave resources out to reserve nothing");
            return null;
        }

        return new ResourcesSpec
        {
            Cpu = ReadCpu(map["cpu"], path + ".cpu", context) ?? 0,
            MemoryBytes = context.Size(map["memory"], path + ".memory") ?? 0,
            Location = map.Mapping.Location,
        };
    }

    private static double? ReadCpu(SpecNode? node, string path, ReadContext context)
    {
        if (context.Number(node, path) is not { } cpu)
        {
            return null;
        }

        if (cpu is < MinCpu or > MaxCpu)
        {
            context.Error(node!.Location, DiagnosticCodes.OutOfRange, $"{path}: {cpu.ToString(CultureInfo.InvariantCulture)} cores is out of range",
                $"write cores between {MinCpu.ToString(CultureInfo.InvariantCulture)} and {MaxCpu.ToString(CultureInfo.InvariantCulture)}, a fraction allowed, e.g. cpu: 0.5");
            return null;
        }

        return cpu;
    }
}
