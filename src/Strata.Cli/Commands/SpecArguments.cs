using System.CommandLine;
using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Parameters;

namespace Strata.Cli.Commands;

/// <summary>The spec file argument and the parameter options shared by validate, plan and up.</summary>
public sealed class SpecArguments
{
    public Argument<FileInfo> File { get; } = new("FILE")
    {
        Description = "The deployment spec (strata.yaml), or a folder that contains one.",
    };

    public Option<string[]> Params { get; } = new("--param", "-p")
    {
        Description = "A parameter value, NAME=VALUE; repeat for more. Overrides --params-file and STRATA_PARAM_NAME.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<FileInfo?> ParamsFile { get; } = new("--params-file")
    {
        Description = "A YAML or JSON file of parameter values.",
    };

    public void AddTo(Command command)
    {
        command.Arguments.Add(File);
        command.Options.Add(Params);
        command.Options.Add(ParamsFile);
    }

    /// <summary>The spec path: the file, or strata.yaml inside the folder given.</summary>
    public string SpecPath(ParseResult result)
    {
        var path = result.GetValue(File)!.FullName;
        return Directory.Exists(path) ? Path.Combine(path, "strata.yaml") : path;
    }

    /// <summary>Parameter values from the environment, the params file and the command line, or the usage errors.</summary>
    public ParameterValues Values(ParseResult result, out IReadOnlyList<Diagnostic> errors)
    {
        var values = ParameterValues.FromEnvironment();
        var all = new List<Diagnostic>();
        if (result.GetValue(ParamsFile) is { } file)
        {
            values = values.WithFile(file.FullName, out var fileErrors);
            all.AddRange(fileErrors);
        }

        values = values.WithArguments(result.GetValue(Params) ?? [], out var argumentErrors);
        all.AddRange(argumentErrors);
        errors = all;
        return values;
    }

    /// <summary>The values given explicitly (not defaults) for the parameters the spec declares, to send to the control plane.</summary>
    public static Dictionary<string, string> Given(DeploymentSpec spec, ParameterValues values)
    {
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in spec.Parameters)
        {
            if (values.Find(parameter.Name) is { Source: not ParameterSource.Default } value)
            {
                given[parameter.Name] = value.Value;
            }
        }

        return given;
    }
}
