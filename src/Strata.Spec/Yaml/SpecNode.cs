using Strata.Spec.Model;
using YamlDotNet.Core;

namespace Strata.Spec.Yaml;

/// <summary>
/// A YAML node with where it was written. The spec keeps its own small tree instead of YamlDotNet's representation
/// model so duplicate keys become diagnostics rather than exceptions and every node keeps its start and end.
/// </summary>
internal abstract class SpecNode(SourceLocation location, int endLine)
{
    public SourceLocation Location { get; } = location;

    /// <summary>The line the node ends on, to tell single-line values (whose columns can be computed) from others.</summary>
    public int EndLine { get; } = endLine;

    public abstract string KindName { get; }
}

internal sealed class SpecScalar(SourceLocation location, int endLine, string value, ScalarStyle style)
    : SpecNode(location, endLine)
{
    public string Value { get; } = value;

    public ScalarStyle Style { get; } = style;

    public bool IsQuoted => Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted;

    /// <summary>An empty plain value or <c>~</c>/<c>null</c>, which YAML reads as nothing.</summary>
    public bool IsNull => Style is ScalarStyle.Plain or ScalarStyle.Any && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string KindName => IsNull ? "nothing" : "a single value";

    /// <summary>
    /// Where character <paramref name="offset"/> of the value was written. Exact for values on one line (the usual
    /// case); values spanning lines point at their start.
    /// </summary>
    public SourceLocation LocationOf(int offset)
    {
        var singleLine = EndLine == Location.Line && Style is ScalarStyle.Plain or ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted;
        if (!singleLine || Location.Line == 0)
        {
            return Location;
        }

        return Location with { Column = Location.Column + offset + (IsQuoted ? 1 : 0) };
    }
}

internal sealed class SpecSequence(SourceLocation location, int endLine, IReadOnlyList<SpecNode> items) : SpecNode(location, endLine)
{
    public IReadOnlyList<SpecNode> Items { get; } = items;

    public override string KindName => "a list";
}

internal sealed class SpecMapping(SourceLocation location, int endLine, IReadOnlyList<KeyValuePair<SpecScalar, SpecNode>> entries)
    : SpecNode(location, endLine)
{
    public IReadOnlyList<KeyValuePair<SpecScalar, SpecNode>> Entries { get; } = entries;

    public override string KindName => "a mapping";
}
