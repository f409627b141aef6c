namespace Strata.Spec.Model;

public enum ParameterType { String, Int, Number, Bool, Duration, Size }

/// <summary>
/// A declared parameter. Its value comes from, in order: <c>--param name=value</c>, a params file,
/// the <c>STRATA_PARAM_NAME</c> environment variable, then <see cref="Default"/>.
/// </summary>
public sealed record ParameterSpec
{
    public required string Name { get; init; }

    /// <summary>The type the value is checked against. The default is <see cref="ParameterType.String"/>.</summary>
    public ParameterType Type { get; init; } = ParameterType.String;

    public string? Default { get; init; }

    public string? Description { get; init; }

    public double? Min { get; init; }

    public double? Max { get; init; }

    public IReadOnlyList<string> Allowed { get; init; } = [];

    /// <summary>A secret is never printed: plans, status and logs show <c>(secret)</c>.</summary>
    public bool Secret { get; init; }

    public SourceLocation Location { get; init; }
}
