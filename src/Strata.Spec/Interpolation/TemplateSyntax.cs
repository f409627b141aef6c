namespace Strata.Spec.Interpolation;

/// <summary>An expression inside <c>${…}</c>. <see cref="Offset"/> is its position in the template's raw text.</summary>
public abstract record TemplateExpression(int Offset);

/// <summary>A dotted path such as <c>tiers.db.servers[0].address</c>.</summary>
public sealed record PathExpression(IReadOnlyList<PathSegment> Segments, int Offset) : TemplateExpression(Offset)
{
    public string Root => Segments[0].Name ?? "";

    /// <summary>The path written canonically, e.g. <c>tiers.db.servers[0].address</c>.</summary>
    public string Path => string.Concat(Segments.Select((s, i) => s.Name is not null ? (i == 0 ? s.Name : "." + s.Name) : s.ToString()));

    public override string ToString() => Path;
}

/// <summary>One step of a path: a name, an index <c>[0]</c> or the wildcard <c>[*]</c>.</summary>
public sealed record PathSegment(string? Name, int? Index, bool IsWildcard)
{
    public static PathSegment Named(string name) => new(name, null, false);

    public override string ToString() => Name ?? (IsWildcard ? "[*]" : $"[{Index}]");
}

public sealed record StringLiteral(string Value, int Offset) : TemplateExpression(Offset);

/// <summary>A call of a built-in function: <c>join</c>, <c>default</c>, <c>upper</c> or <c>lower</c>.</summary>
public sealed record FunctionCall(string Name, IReadOnlyList<TemplateExpression> Arguments, int Offset) : TemplateExpression(Offset)
{
    /// <summary>The functions templates may call, with their number of arguments.</summary>
    public static IReadOnlyDictionary<string, int> Known { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["join"] = 2,
        ["default"] = 2,
        ["upper"] = 1,
        ["lower"] = 1,
    };
}

/// <summary>A piece of a template: literal text or one <c>${…}</c> expression.</summary>
public sealed record TemplatePart(string? Literal, TemplateExpression? Expression);

/// <summary>A template split into literal text and expressions.</summary>
public sealed record ParsedTemplate(IReadOnlyList<TemplatePart> Parts)
{
    /// <summary>Every path the template reads, in order, including those inside function arguments.</summary>
    public IEnumerable<PathExpression> Paths()
    {
        var pending = new Stack<TemplateExpression>();
        foreach (var part in Parts.Reverse())
        {
            if (part.Expression is not null)
            {
                pending.Push(part.Expression);
            }
        }

        while (pending.TryPop(out var expression))
        {
            switch (expression)
            {
                case PathExpression path:
                    yield return path;
                    break;
                case FunctionCall call:
                    foreach (var argument in call.Arguments.Reverse())
                    {
                        pending.Push(argument);
                    }

                    break;
            }
        }
    }
}

/// <summary>A template that cannot be parsed or evaluated, with the offset in its raw text where the problem is.</summary>
public sealed class TemplateException(string message, int offset) : Exception(message)
{
    public int Offset { get; } = offset;
}
