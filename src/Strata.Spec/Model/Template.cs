namespace Strata.Spec.Model;

/// <summary>
/// A string from the spec that may contain <c>${…}</c> interpolations. It keeps its raw text and where it was
/// written so that errors found after parsing still point at the file.
/// </summary>
public sealed record Template(string Raw, SourceLocation Location)
{
    /// <summary>True when the text contains at least one <c>${…}</c> expression.</summary>
    public bool HasExpressions => Raw.Contains("${", StringComparison.Ordinal);

    public override string ToString() => Raw;
}
