using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Parameters;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>The outcome of loading a spec: the spec when it is valid, and every diagnostic found.</summary>
public sealed record SpecLoadResult(DeploymentSpec? Spec, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>True when there is no error; <see cref="Spec"/> is then not null.</summary>
    public bool Success => Spec is not null;

    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.IsError);
}

/// <summary>
/// Loads <c>strata.yaml</c>: YAML into a located tree, parameters resolved and substituted into typed fields, every
/// rule checked. Loading reports problems as diagnostics and never throws for bad input.
/// </summary>
public static class SpecLoader
{
    /// <summary>The file name a deployment spec has by convention.</summary>
    public const string DefaultFileName = "strata.yaml";

    public static SpecLoadResult Load(string path, ParameterValues values)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var hint = ex is FileNotFoundException or DirectoryNotFoundException ? $"run in the folder that holds {DefaultFileName}, or pass the spec's path" : null;
            return new SpecLoadResult(null, [new Diagnostic(new SourceLocation(path, 0, 0), DiagnosticSeverity.Error, DiagnosticCodes.Syntax, $"cannot read the spec: {ex.Message}", hint)]);
        }

        return Parse(text, path, values);
    }

    public static SpecLoadResult Parse(string yamlText, string fileName, ParameterValues values)
    {
        var context = new ReadContext(fileName, values);
        var root = YamlTreeReader.Read(yamlText, fileName, context.Diagnostics);
        var spec = context.Diagnostics.HasErrors ? null : SpecReader.Read(root, context);
        return new SpecLoadResult(context.Diagnostics.HasErrors ? null : spec, context.Diagnostics.Sorted());
    }
}
