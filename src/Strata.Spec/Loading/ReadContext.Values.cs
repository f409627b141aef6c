using System.Globalization;
using Strata.Spec.Diagnostics;
using Strata.Spec.Grammar;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Typed values: parameters are substituted first, then the text is checked against the type.</summary>
internal sealed partial class ReadContext
{
    public string? Text(SpecNode? node, string path)
    {
        switch (node)
        {
            case null:
                return null;
            case SpecScalar { IsNull: true }:
                Error(node.Location, DiagnosticCodes.InvalidValue, $"{path}: a value is required", null);
                return null;
            case SpecScalar scalar:
                return scalar.Value.Contains("${", StringComparison.Ordinal) ? Substitute(scalar, path) : scalar.Value;
            default:
                Error(node.Location, DiagnosticCodes.WrongShape, $"{path}: expected a single value, found {node.KindName}", null);
                return null;
        }
    }

    public int? Int(SpecNode? node, string path, int min, int max)
    {
        if (Text(node, path) is not { } text)
        {
            return null;
        }

        if (!long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: '{text}' is not a whole number", null);
            return null;
        }

        if (value < min || value > max)
        {
            Error(node!.Location, DiagnosticCodes.OutOfRange, $"{path}: {value} is out of range", RangeHint(min, max));
            return null;
        }

        return (int)value;
    }

    public double? Number(SpecNode? node, string path, double min = double.MinValue)
    {
        if (Text(node, path) is not { } text)
        {
            return null;
        }

        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: '{text}' is not a number", null);
            return null;
        }

        if (value < min)
        {
            Error(node!.Location, DiagnosticCodes.OutOfRange, $"{path}: {text} is out of range", $"the smallest allowed value is {min.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return value;
    }

    public bool? Bool(SpecNode? node, string path)
    {
        if (Text(node, path) is not { } text)
        {
            return null;
        }

        if (TryParseBool(text, out var value))
        {
            return value;
        }

        Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: '{text}' is not true or false", null);
        return null;
    }

    public TimeSpan? Duration(SpecNode? node, string path, bool positive = false)
    {
        if (Text(node, path) is not { } text)
        {
            return null;
        }

        if (!SpecValues.TryParseDuration(text, out var value))
        {
            Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: '{text}' is not a duration", "write a whole number followed by ms, s, m, h or d, e.g. 500ms, 30s, 5m, 7d");
            return null;
        }

        if (positive && value <= TimeSpan.Zero)
        {
            Error(node!.Location, DiagnosticCodes.OutOfRange, $"{path}: must be longer than 0", null);
            return null;
        }

        return value;
    }

    public long? Size(SpecNode? node, string path)
    {
        if (Text(node, path) is not { } text)
        {
            return null;
        }

        if (!SpecValues.TryParseSize(text, out var value))
        {
            Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: '{text}' is not a size", "write bytes or a whole number with a unit: KiB, MiB, GiB, TiB (1024) or KB, MB, GB, TB (1000), e.g. 512MiB");
            return null;
        }

        if (value <= 0)
        {
            Error(node!.Location, DiagnosticCodes.OutOfRange, $"{path}: must be larger than 0", null);
            return null;
        }

        return value;
    }

    public CountOrPercent? CountOrPercent(SpecNode? node, string path)
    {
        if (Text(node, path) is not { } text)
        {
            return null;
        }

        if (SpecValues.TryParseCountOrPercent(text, out var value))
        {
            return value;
        }

        Error(node!.Location, DiagnosticCodes.InvalidValue, $"{path}: '{text}' is not a count or a percentage", "write a number of servers such as 1, or a percentage from 0% to 100% such as 25%");
        return null;
    }

    /// <summary>One of a fixed set of words, e.g. <c>retain</c>, <c>snapshot</c>, <c>delete</c>.</summary>
    public T? Choice<T>(SpecNode? node, string path, IReadOnlyDictionary<string, T> choices)
        where T : struct
    {
        if (Text(node, path) is not { } text)
        {
            return null;
        }

        if (choices.TryGetValue(text, out var value))
        {
            return value;
        }

        var hint = NameSuggestions.Nearest(text, choices.Keys) is { } near ? $"did you mean '{near}'? " : "";
        Error(node!.Location, DiagnosticCodes.NotAllowed, $"{path}: '{text}' is not one of {string.Join(", ", choices.Keys)}", $"{hint}choose one of {string.Join(", ", choices.Keys)}".Trim());
        return null;
    }

    public static bool TryParseBool(string text, out bool value)
    {
        switch (text.Trim())
        {
            case "true" or "True" or "TRUE" or "yes" or "on":
                value = true;
                return true;
            case "false" or "False" or "FALSE" or "no" or "off":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    private static string RangeHint(int min, int max) =>
        max == int.MaxValue ? $"the smallest allowed value is {min}" : $"allowed values are {min} to {max}";

    /// <summary>Substitutes <c>${params.…}</c> into a typed field; null when there is an error or a value is not known yet.</summary>
    private string? Substitute(SpecScalar scalar, string path)
    {
        if (ParseTemplate(scalar, path) is not { } parsed)
        {
            return null;
        }

        var ok = true;
        foreach (var reference in parsed.Paths())
        {
            var location = scalar.LocationOf(reference.Offset);
            if (reference.Root != "params")
            {
                ok = false;
                Error(location, DiagnosticCodes.RunTimeReference, $"{path}: '${{{reference.Path}}}' is not known until apply, but this value is needed to plan",
                    "use a literal or a parameter (${params.name}) here; run-time values may only be used in env, run, hooks and outputs");
            }
            else if (CheckParameterReference(reference, location, path) is { Secret: true } secret)
            {
                ok = false;
                Error(location, DiagnosticCodes.SecretExposed, $"{path}: secret parameter '{secret.Name}' would be printed in plans",
                    "secrets may only be used in env values, hooks and storage settings");
            }
            else
            {
                ok &= Parameters.ContainsKey(reference.Segments.Count == 2 ? reference.Segments[1].Name ?? "" : "");
            }
        }

        return ok ? TemplateEvaluator.Evaluate(parsed, new ParameterResolver(this)).Text : null;
    }

    /// <summary>The values of parameters at plan time; a parameter without a usable value is unknown.</summary>
    private sealed class ParameterResolver(ReadContext context) : IReferenceResolver
    {
        public string Name => "parameters";

        public ReferenceValue? Resolve(PathExpression path) =>
            Reference.Parse(path) is ParameterReference { Name: var name } && context.ParameterValues.TryGetValue(name, out var value)
                ? ReferenceValue.Known(value, context.Parameters[name].Secret)
                : ReferenceValue.Unknown;
    }
}
