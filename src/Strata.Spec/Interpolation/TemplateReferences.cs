using Strata.Spec.Model;

namespace Strata.Spec.Interpolation;

/// <summary>A path a template reads, and where it is written.</summary>
public sealed record TemplateReference(PathExpression Expression, SourceLocation Location)
{
    public string Path => Expression.Path;

    public string Root => Expression.Root;
}

/// <summary>Lists the references of templates, e.g. to find which tiers a tier depends on.</summary>
public static class TemplateReferences
{
    /// <summary>
    /// The paths <paramref name="template"/> reads, in order. A template that does not parse has none (loading a
    /// spec reports the parse error). Locations assume the value was written on one line, unquoted.
    /// </summary>
    public static IReadOnlyList<TemplateReference> Of(Template template)
    {
        if (!template.HasExpressions || !TemplateParser.TryParse(template.Raw, out var parsed, out _))
        {
            return [];
        }

        return [.. parsed!.Paths().Select(p => new TemplateReference(p, Offset(template.Location, p.Offset)))];
    }

    private static SourceLocation Offset(SourceLocation location, int offset) =>
        location.Line == 0 ? location : location with { Column = location.Column + offset };
}
