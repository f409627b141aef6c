using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads the <c>images</c> section.</summary>
internal static class ImageReader
{
    private static readonly string[] s_keys = ["from", "run", "env", "hooks"];

    public static IReadOnlyList<ImageSpec> Read(SpecNode? node, SourceLocation owner, ReadContext context)
    {
        if (MapReader.OpenNamed(node, "images", owner, context) is not { } section)
        {
            return [];
        }

        var result = new List<ImageSpec>();
        foreach (var (key, body) in section.Entries)
        {
            var path = $"images.{key.Value}";
            var named = context.CheckName(key, "images", "image");
            if (MapReader.Open(body, path, key.Location, context, s_keys) is not { } map)
            {
                continue;
            }

            var from = context.Text(map.Required("from", "'from' is the folder, relative to the spec, that is baked into the image"), path + ".from");
            var run = context.Template(map.Required("run", "'run' is the command that starts the server, e.g. python3 server.py"), path + ".run", TemplateUse.Run, path);
            var env = ReadEnv(map["env"], path + ".env", key.Location, context, path);
            var hooks = ReadHooks(map["hooks"], path + ".hooks", key.Location, context);
            if (from is not null && from.Trim().Length == 0)
            {
                context.Error(map["from"]!.Location, DiagnosticCodes.InvalidValue, $"{path}.from: must name a folder", null);
                from = null;
            }

            if (named && from is not null && run is not null)
            {
                var image = new ImageSpec { Name = key.Value, From = from, Run = run, Env = env, Hooks = hooks, Location = key.Location };
                result.Add(image);
                context.Images[image.Name] = image;
            }
        }

        return result;
    }

    /// <summary>Reads environment variables: names of letters, digits and '_', values that are templates.</summary>
    public static IReadOnlyDictionary<string, Template> ReadEnv(SpecNode? node, string path, SourceLocation owner, ReadContext context, string templateOwner)
    {
        var result = new Dictionary<string, Template>(StringComparer.Ordinal);
        if (MapReader.OpenNamed(node, path, owner, context) is not { } map)
        {
            return result;
        }

        foreach (var (key, value) in map.Entries)
        {
            if (key.Value.Length == 0 || char.IsAsciiDigit(key.Value[0]) || !key.Value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                context.Error(key.Location, DiagnosticCodes.InvalidName, $"{path}: '{key.Value}' is not a valid environment variable name", "use letters, digits and '_', not starting with a digit");
            }
            else if (key.Value.StartsWith("STRATA_", StringComparison.Ordinal))
            {
                context.Error(key.Location, DiagnosticCodes.InvalidName, $"{path}: '{key.Value}' is reserved", "variables starting with STRATA_ are set by Strata for every server");
            }
            else if (context.Template(value, $"{path}.{key.Value}", TemplateUse.Env, templateOwner) is { } template)
            {
                result[key.Value] = template;
            }
        }

        return result;
    }

    private static IReadOnlyDictionary<string, Template> ReadHooks(SpecNode? node, string path, SourceLocation owner, ReadContext context)
    {
        var result = new Dictionary<string, Template>(StringComparer.Ordinal);
        if (MapReader.Open(node, path, owner, context, [.. ImageSpec.KnownHooks], emptyAllowed: true) is not { } map)
        {
            return result;
        }

        foreach (var (key, value) in map.Entries)
        {
            if (ImageSpec.KnownHooks.Contains(key.Value) && context.Template(value, $"{path}.{key.Value}", TemplateUse.Hook, path[..path.LastIndexOf('.')]) is { } template)
            {
                result[key.Value] = template;
            }
        }

        return result;
    }
}
