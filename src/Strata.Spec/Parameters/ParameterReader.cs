using System.Globalization;
using Strata.Spec.Diagnostics;
using Strata.Spec.Grammar;
using Strata.Spec.Interpolation;
using Strata.Spec.Loading;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Parameters;

/// <summary>Reads the <c>parameters</c> section and settles each parameter's value by precedence.</summary>
internal static class ParameterReader
{
    private static readonly string[] s_keys = ["type", "default", "description", "min", "max", "allowed", "secret"];

    private static readonly Dictionary<string, ParameterType> s_types = new(StringComparer.Ordinal)
    {
        ["string"] = ParameterType.String, ["int"] = ParameterType.Int, ["number"] = ParameterType.Number,
        ["bool"] = ParameterType.Bool, ["duration"] = ParameterType.Duration, ["size"] = ParameterType.Size,
    };

    public static IReadOnlyList<ParameterSpec> Read(SpecNode? node, SourceLocation owner, ReadContext context)
    {
        if (MapReader.OpenNamed(node, "parameters", owner, context) is not { } section)
        {
            return [];
        }

        var result = new List<ParameterSpec>();
        foreach (var (key, body) in section.Entries)
        {
            if (!ParameterValues.IsParameterName(key.Value) || key.Value.Length > 64)
            {
                context.Error(key.Location, DiagnosticCodes.InvalidName, $"parameters: '{key.Value}' is not a valid parameter name",
                    "parameter names use letters, digits, '_' and '-', start with a letter and are at most 64 characters");
                continue;
            }

            if (ReadOne(key, body, context) is { } parameter)
            {
                result.Add(parameter);
                context.Parameters[parameter.Name] = parameter;
                Resolve(parameter, context);
            }
        }

        ReportUnknownSupplied(context);
        return result;
    }

    private static ParameterSpec? ReadOne(SpecScalar key, SpecNode body, ReadContext context)
    {
        var path = $"parameters.{key.Value}";
        if (MapReader.Open(body, path, key.Location, context, s_keys) is not { } map)
        {
            return null;
        }

        var type = context.Choice(map["type"], path + ".type", s_types) ?? ParameterType.String;
        var parameter = new ParameterSpec
        {
            Name = key.Value,
            Type = type,
            Default = map["default"] is { } d ? PlainText(d, path + ".default", context) : null,
            Description = map["description"] is { } description ? PlainText(description, path + ".description", context) : null,
            Min = context.Number(map["min"], path + ".min"),
            Max = context.Number(map["max"], path + ".max"),
            Allowed = ReadAllowed(map["allowed"], path + ".allowed", context),
            Secret = context.Bool(map["secret"], path + ".secret") ?? false,
            Location = key.Location,
        };

        if ((map.Has("min") || map.Has("max")) && type is not (ParameterType.Int or ParameterType.Number))
        {
            context.Error((map.KeyOf("min") ?? map.KeyOf("max"))!.Location, DiagnosticCodes.Conflict, $"{path}: min and max apply to int and number parameters only", "use 'allowed' to limit other types");
        }

        if (parameter is { Min: { } min, Max: { } max } && min > max)
        {
            context.Error(map.KeyOf("max")!.Location, DiagnosticCodes.OutOfRange, $"{path}: min ({Format(min)}) is greater than max ({Format(max)})", null);
        }

        if (parameter.Default is { } value && Check(parameter, value) is { } problem)
        {
            context.Error(map["default"]!.Location, DiagnosticCodes.InvalidValue, $"{path}.default: {problem}", null);
        }

        return parameter;
    }

    /// <summary>Settles the value by precedence and checks it; a missing value is an error unless allowed.</summary>
    private static void Resolve(ParameterSpec parameter, ReadContext context)
    {
        var supplied = context.Supplied.Find(parameter.Name);
        var value = supplied?.Value ?? parameter.Default;
        if (value is null)
        {
            if (!context.Supplied.AllowMissing)
            {
                context.Error(parameter.Location, DiagnosticCodes.MissingParameter, $"parameter '{parameter.Name}' has no value",
                    $"supply it with --param {parameter.Name}=…, in a params file, or in the {ParameterValues.EnvironmentVariableName(parameter.Name)} environment variable");
            }

            return;
        }

        if (supplied is not null && Check(parameter, value) is { } problem)
        {
            var shown = parameter.Secret ? TemplateValue.SecretText : $"'{value}'";
            var where = supplied.Source switch
            {
                ParameterSource.CommandLine => "given with --param",
                ParameterSource.File => "from the params file",
                _ => $"from {supplied.Location.File}",
            };
            context.Error(supplied.Location, DiagnosticCodes.InvalidParameter, $"parameter '{parameter.Name}' {where}: {problem.Replace($"'{value}'", shown, StringComparison.Ordinal)}", null);
            return;
        }

        if (Check(parameter, value) is null)
        {
            context.ParameterValues[parameter.Name] = parameter.Type == ParameterType.Bool ? Normalize(value) : value;
        }
    }

    /// <summary>What is wrong with <paramref name="value"/> for the parameter's type and limits, or null.</summary>
    internal static string? Check(ParameterSpec parameter, string value)
    {
        var typeProblem = parameter.Type switch
        {
            ParameterType.Int when !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) => $"'{value}' is not a whole number",
            ParameterType.Number when !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) => $"'{value}' is not a number",
            ParameterType.Bool when !ReadContext.TryParseBool(value, out _) => $"'{value}' is not true or false",
            ParameterType.Duration when !SpecValues.TryParseDuration(value, out _) => $"'{value}' is not a duration",
            ParameterType.Size when !SpecValues.TryParseSize(value, out _) => $"'{value}' is not a size",
            _ => null,
        };
        if (typeProblem is not null)
        {
            return typeProblem;
        }

        if (parameter.Allowed.Count > 0 && !parameter.Allowed.Contains(value))
        {
            return $"'{value}' is not one of {string.Join(", ", parameter.Allowed)}";
        }

        if (parameter.Type is ParameterType.Int or ParameterType.Number)
        {
            var number = double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (number < parameter.Min || number > parameter.Max)
            {
                return $"{value} is out of range {Format(parameter.Min)} to {Format(parameter.Max)}";
            }
        }

        return null;
    }

    private static void ReportUnknownSupplied(ReadContext context)
    {
        foreach (var supplied in context.Supplied.Explicit)
        {
            if (!context.Parameters.ContainsKey(supplied.Name))
            {
                context.Error(supplied.Location, DiagnosticCodes.InvalidParameter, $"parameter '{supplied.Name}' is not declared by the spec",
                    NameSuggestions.Hint(supplied.Name, context.Parameters.Keys, "parameter"));
            }
        }
    }

    private static IReadOnlyList<string> ReadAllowed(SpecNode? node, string path, ReadContext context)
    {
        var items = context.List(node, path) ?? [];
        return [.. items.Select((item, i) => PlainText(item, $"{path}[{i}]", context)).OfType<string>()];
    }

    /// <summary>Text that is not interpolated: parameters cannot refer to each other.</summary>
    private static string? PlainText(SpecNode node, string path, ReadContext context)
    {
        if (node is SpecScalar { IsNull: false } scalar)
        {
            return scalar.Value;
        }

        context.Error(node.Location, DiagnosticCodes.WrongShape, $"{path}: expected a single value, found {node.KindName}", null);
        return null;
    }

    private static string Normalize(string value) => ReadContext.TryParseBool(value, out var b) && b ? "true" : "false";

    private static string Format(double? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "any";
}
