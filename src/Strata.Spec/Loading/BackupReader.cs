using Strata.Common.Scheduling;
using Strata.Spec.Diagnostics;
using Strata.Spec.Grammar;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads the backup policies of a tier.</summary>
internal static class BackupReader
{
    private static readonly string[] s_keys = ["snapshot", "service", "every", "cron", "retain", "verify", "encryptionKey"];
    private static readonly string[] s_retainKeys = ["last", "daily", "weekly"];

    /// <summary>The most backups of one kind a policy may keep.</summary>
    private const int MaxRetained = 10_000;

    public static IReadOnlyList<BackupPolicySpec> Read(SpecNode? node, string path, SourceLocation owner, ReadContext context, IReadOnlyList<VolumeSpec> volumes, ImageSpec? image)
    {
        var result = new List<BackupPolicySpec>();
        if (MapReader.OpenNamed(node, path, owner, context) is not { } section)
        {
            return result;
        }

        foreach (var (key, body) in section.Entries)
        {
            var policyPath = $"{path}.{key.Value}";
            var named = context.CheckName(key, path, "backup policy");
            if (MapReader.Open(body, policyPath, key.Location, context, s_keys) is { } map && ReadOne(key, map, policyPath, context, volumes, image) is { } policy && named)
            {
                result.Add(policy);
            }
        }

        return result;
    }

    private static BackupPolicySpec? ReadOne(SpecScalar key, MapReader map, string path, ReadContext context, IReadOnlyList<VolumeSpec> volumes, ImageSpec? image)
    {
        var kind = ReadKind(map, path, context, volumes, image);
        var (every, cron) = ReadWhen(map, path, context);
        var verify = ReadVerify(map["verify"], path + ".verify", context);
        if (verify is not null && kind == BackupKind.Service && image is not null && !image.Hooks.ContainsKey("restore"))
        {
            context.Error(map["verify"]!.Location, DiagnosticCodes.UnknownReference, $"{path}.verify: image '{image.Name}' has no restore hook to verify a service backup with",
                $"add hooks: {{ restore: ./restore.sh }} to image '{image.Name}'");
        }

        var retain = MapReader.Open(map["retain"], path + ".retain", map.KeyOf("retain")?.Location ?? key.Location, context, s_retainKeys, emptyAllowed: true);
        var policy = new BackupPolicySpec
        {
            Name = key.Value,
            Kind = kind ?? BackupKind.Snapshot,
            Volume = kind == BackupKind.Snapshot ? (map["snapshot"] as SpecScalar)?.Value : null,
            Every = every,
            Cron = cron,
            KeepLast = context.Int(retain?["last"], path + ".retain.last", 1, MaxRetained) ?? 7,
            KeepDaily = context.Int(retain?["daily"], path + ".retain.daily", 0, MaxRetained) ?? 0,
            KeepWeekly = context.Int(retain?["weekly"], path + ".retain.weekly", 0, MaxRetained) ?? 0,
            EncryptionKeyParameter = ReadEncryptionKey(map["encryptionKey"], path + ".encryptionKey", context),
            VerifyEvery = verify,
            Location = key.Location,
        };
        return kind is null || (every is null && cron is null) ? null : policy;
    }

    private static BackupKind? ReadKind(MapReader map, string path, ReadContext context, IReadOnlyList<VolumeSpec> volumes, ImageSpec? image)
    {
        if (map.Has("snapshot") == map.Has("service"))
        {
            context.Error(map.Has("service") ? map.KeyOf("service")!.Location : map.Owner, DiagnosticCodes.Conflict, $"{path}: needs exactly one of snapshot or service",
                "write snapshot: <volume> to snapshot a volume, or service: true to run the image's backup hook");
            return null;
        }

        if (map.Has("snapshot"))
        {
            var volume = context.Text(map["snapshot"], path + ".snapshot");
            if (volume is not null && !volumes.Any(v => v.Name == volume))
            {
                context.UnknownName(map["snapshot"]!.Location, path + ".snapshot", "volume", volume, [.. volumes.Select(v => v.Name)]);
                return null;
            }

            return volume is null ? null : BackupKind.Snapshot;
        }

        if (context.Bool(map["service"], path + ".service") is not true)
        {
            return null;
        }

        if (image is not null && !image.Hooks.ContainsKey("backup"))
        {
            context.Error(map["service"]!.Location, DiagnosticCodes.UnknownReference, $"{path}.service: image '{image.Name}' has no backup hook",
                $"add hooks: {{ backup: ./backup.sh }} to image '{image.Name}'; it writes the backup to $STRATA_BACKUP_FILE");
            return null;
        }

        return BackupKind.Service;
    }

    private static (TimeSpan? Every, string? Cron) ReadWhen(MapReader map, string path, ReadContext context)
    {
        if (map.Has("every") == map.Has("cron"))
        {
            context.Error(map.Has("cron") ? map.KeyOf("cron")!.Location : map.Owner, DiagnosticCodes.Conflict, $"{path}: needs exactly one of every or cron",
                "write every: 24h, or cron: \"0 3 * * *\"");
            return (null, null);
        }

        if (map.Has("every"))
        {
            return (context.Duration(map["every"], path + ".every", positive: true), null);
        }

        var cron = context.Text(map["cron"], path + ".cron");
        if (cron is not null && CronSchedule.Check(cron) is { } problem)
        {
            context.Error(map["cron"]!.Location, DiagnosticCodes.InvalidValue, $"{path}.cron: {problem}", "write five fields: minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\"");
            return (null, null);
        }

        return (null, cron);
    }

    /// <summary>Reads <c>verify: every 24h</c> (or just <c>24h</c>).</summary>
    private static TimeSpan? ReadVerify(SpecNode? node, string path, ReadContext context)
    {
        if (node is not SpecScalar { IsNull: false } scalar || scalar.Value.Contains("${", StringComparison.Ordinal))
        {
            return context.Duration(node, path, positive: true);
        }

        var text = scalar.Value.Trim();
        var duration = text.StartsWith("every ", StringComparison.Ordinal) ? text["every ".Length..] : text;
        if (SpecValues.TryParseDuration(duration, out var value) && value > TimeSpan.Zero)
        {
            return value;
        }

        context.Error(node.Location, DiagnosticCodes.InvalidValue, $"{path}: '{text}' is not a duration", "write every 24h (a restore drill of the latest backup once a day)");
        return null;
    }

    private static string? ReadEncryptionKey(SpecNode? node, string path, ReadContext context)
    {
        if (node is null)
        {
            return null;
        }

        var text = (node as SpecScalar)?.Value.Trim() ?? "";
        var name = text.StartsWith("${params.", StringComparison.Ordinal) && text.EndsWith('}') ? text["${params.".Length..^1].Trim() : null;
        if (name is not null && context.Parameters.TryGetValue(name, out var parameter) && parameter.Secret)
        {
            return name;
        }

        var hint = name is not null && context.Parameters.ContainsKey(name)
            ? $"declare parameter '{name}' with secret: true"
            : "write encryptionKey: ${params.backupKey} with a parameter declared secret: true";
        context.Error(node.Location, DiagnosticCodes.InvalidValue, $"{path}: must be a secret parameter reference", hint);
        return null;
    }
}
