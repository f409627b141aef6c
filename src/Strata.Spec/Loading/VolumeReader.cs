using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads a tier's <c>volumes</c>.</summary>
internal static class VolumeReader
{
    private static readonly string[] s_keys = ["size", "mount", "restoreFrom", "deletionPolicy"];

    public static IReadOnlyList<VolumeSpec> Read(SpecNode? node, string path, SourceLocation owner, ReadContext context)
    {
        var result = new List<VolumeSpec>();
        if (MapReader.OpenNamed(node, path, owner, context) is not { } section)
        {
            return result;
        }

        var mounts = new Dictionary<string, SpecNode>(StringComparer.Ordinal);
        foreach (var (key, body) in section.Entries)
        {
            var volumePath = $"{path}.{key.Value}";
            var named = context.CheckName(key, path, "volume");
            if (MapReader.Open(body, volumePath, key.Location, context, s_keys) is not { } map)
            {
                continue;
            }

            var size = context.Size(map.Required("size", "write size: 1GiB"), volumePath + ".size");
            var mount = map["mount"] is { } m ? context.Text(m, volumePath + ".mount") : key.Value;
            if (mount is not null && !IsRelativePath(mount))
            {
                context.Error(map["mount"]!.Location, DiagnosticCodes.InvalidValue, $"{volumePath}.mount: '{mount}' must be a relative path inside the server's folder", "write a folder name such as data, without a leading '/' or '..'");
                mount = null;
            }
            else if (mount is not null && !mounts.TryAdd(mount, map["mount"] ?? key))
            {
                context.Error((map["mount"] ?? key).Location, DiagnosticCodes.Duplicate, $"{volumePath}.mount: '{mount}' is already the mount of another volume", null);
            }

            var volume = new VolumeSpec
            {
                Name = key.Value,
                SizeBytes = size ?? 0,
                Mount = mount ?? key.Value,
                RestoreFrom = map["restoreFrom"] is { } r ? context.Text(r, volumePath + ".restoreFrom") : null,
                DeletionPolicy = context.Choice(map["deletionPolicy"], volumePath + ".deletionPolicy", TierReader.DeletionPolicies),
                Location = key.Location,
            };
            if (named && size is not null && mount is not null)
            {
                result.Add(volume);
            }
        }

        return result;
    }

    private static bool IsRelativePath(string path) =>
        path.Length > 0 && !path.StartsWith('/') && !path.Split('/', '\\').Contains("..");
}
