using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads the <c>storage</c> section: the stores for backups and disaster recovery.</summary>
internal static class StorageReader
{
    private static readonly string[] s_keys = ["images", "backups", "disasterRecovery"];
    private static readonly string[] s_storeKeys = ["type", "path", "bucket", "endpoint", "region", "prefix", "accessKey", "secretKey"];
    private static readonly string[] s_credentials = ["accessKey", "secretKey"];
    private static readonly Dictionary<string, int> s_types = new(StringComparer.Ordinal) { ["filesystem"] = 0, ["s3"] = 1 };

    public static StorageSpec Read(SpecNode? node, SourceLocation owner, ReadContext context)
    {
        if (MapReader.Open(node, "storage", owner, context, s_keys, emptyAllowed: true) is not { } map)
        {
            return new StorageSpec();
        }

        if (map.KeyOf("images") is { } images)
        {
            // Images are the provider's to keep (the local provider caches them under $STRATA_HOME/local), so a store
            // named here would be ignored: refuse it rather than pretend.
            context.Error(images.Location, DiagnosticCodes.NotAllowed, "storage.images is not supported: images are kept by the provider",
                "remove storage.images; storage takes backups and disasterRecovery");
        }

        return new StorageSpec
        {
            Backups = ReadStore(map, "backups", context),
            DisasterRecovery = ReadStore(map, "disasterRecovery", context),
        };
    }

    private static StoreSpec? ReadStore(MapReader storage, string key, ReadContext context)
    {
        var path = $"storage.{key}";
        if (MapReader.Open(storage[key], path, storage.KeyOf(key)?.Location ?? default, context, s_storeKeys) is not { } map)
        {
            return null;
        }

        var type = context.Choice(map.Required("type", "write type: filesystem or type: s3"), path + ".type", s_types);
        var settings = new Dictionary<string, Template>(StringComparer.Ordinal);
        foreach (var (name, value) in map.Entries.Where(e => e.Key.Value != "type" && s_storeKeys.Contains(e.Key.Value)))
        {
            var use = s_credentials.Contains(name.Value) ? TemplateUse.StoreCredential : TemplateUse.StoreSetting;
            if (context.Template(value, $"{path}.{name.Value}", use, null) is { } template)
            {
                settings[name.Value] = template;
            }
        }

        if (type == 1 && !map.Has("bucket"))
        {
            context.Error(map.Owner, DiagnosticCodes.MissingKey, $"{path}: missing required key 'bucket'", "an s3 store needs a bucket, e.g. bucket: strata-backups");
        }

        if (type == 0 && map.Entries.FirstOrDefault(e => e.Key.Value is "bucket" or "endpoint" or "region" or "accessKey" or "secretKey") is { Key: { } wrong })
        {
            context.Error(wrong.Location, DiagnosticCodes.Conflict, $"{path}: '{wrong.Value}' applies to s3 stores only", "a filesystem store takes path and prefix");
        }

        return type is null ? null : new StoreSpec { Type = s_types.First(t => t.Value == type).Key, Settings = settings, Location = map.Owner };
    }
}
