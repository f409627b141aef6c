using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads a tier's <c>update</c> policy.</summary>
internal static class UpdateReader
{
    private static readonly string[] s_keys = ["maxSurge", "maxUnavailable", "bake", "rollback", "canary"];

    public static UpdatePolicySpec Read(SpecNode? node, string path, SourceLocation owner, ReadContext context)
    {
        var defaults = new UpdatePolicySpec();
        if (MapReader.Open(node, path, owner, context, s_keys, emptyAllowed: true) is not { } map)
        {
            return defaults;
        }

        var policy = new UpdatePolicySpec
        {
            MaxSurge = context.CountOrPercent(map["maxSurge"], path + ".maxSurge") ?? defaults.MaxSurge,
            MaxUnavailable = context.CountOrPercent(map["maxUnavailable"], path + ".maxUnavailable") ?? defaults.MaxUnavailable,
            Bake = context.Duration(map["bake"], path + ".bake") ?? defaults.Bake,
            Rollback = context.Bool(map["rollback"], path + ".rollback") ?? defaults.Rollback,
            Canary = context.Bool(map["canary"], path + ".canary") ?? defaults.Canary,
            Location = map.Mapping.Location,
        };
        if (map.Has("maxSurge") && map.Has("maxUnavailable") && policy.MaxSurge.Value == 0 && policy.MaxUnavailable.Value == 0)
        {
            context.Error(map["maxUnavailable"]!.Location, DiagnosticCodes.Conflict, $"{path}: maxSurge and maxUnavailable cannot both be 0", "an update must either add a server or take one out of service");
        }

        return policy;
    }
}
