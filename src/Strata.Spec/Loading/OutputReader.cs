using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Parameters;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Reads the <c>outputs</c> section: named templates shown after apply.</summary>
internal static class OutputReader
{
    public static IReadOnlyList<OutputSpec> Read(SpecNode? node, SourceLocation owner, ReadContext context)
    {
        var result = new List<OutputSpec>();
        if (MapReader.OpenNamed(node, "outputs", owner, context) is not { } map)
        {
            return result;
        }

        foreach (var (key, value) in map.Entries)
        {
            if (!ParameterValues.IsParameterName(key.Value) || key.Value.Length > 64)
            {
                context.Error(key.Location, DiagnosticCodes.InvalidName, $"outputs: '{key.Value}' is not a valid output name", "output names use letters, digits, '_' and '-', start with a letter and are at most 64 characters");
            }
            else if (context.Template(value, $"outputs.{key.Value}", TemplateUse.Output, null) is { } template)
            {
                result.Add(new OutputSpec(key.Value, template, key.Location));
            }
        }

        return result;
    }
}
