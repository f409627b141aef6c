using Strata.Spec.Model;

namespace Strata.Spec.Interpolation;

/// <summary>Evaluates templates against a <see cref="IReferenceResolver"/>.</summary>
public static class TemplateEvaluator
{
    /// <summary>
    /// The template's value. Throws <see cref="TemplateException"/> when the template cannot be parsed or a
    /// reference names nothing; neither happens for templates of a spec that loaded without errors.
    /// </summary>
    public static TemplateValue Evaluate(Template template, IReferenceResolver resolver) =>
        Evaluate(TemplateParser.Parse(template.Raw), resolver);

    public static TemplateValue Evaluate(ParsedTemplate template, IReferenceResolver resolver)
    {
        var text = new System.Text.StringBuilder();
        var known = true;
        var secret = false;
        foreach (var part in template.Parts)
        {
            if (part.Literal is not null)
            {
                text.Append(part.Literal);
                continue;
            }

            var value = EvaluateExpression(part.Expression!, resolver);
            secret |= value.IsSecret;
            if (value.AsText() is { } piece)
            {
                text.Append(piece);
            }
            else
            {
                known = false;
            }
        }

        return new TemplateValue(known ? text.ToString() : null, secret);
    }

    /// <summary>The value of one <c>${…}</c> expression; throws <see cref="TemplateException"/> as <see cref="Evaluate(Template, IReferenceResolver)"/> does.</summary>
    public static ReferenceValue EvaluateExpression(TemplateExpression expression, IReferenceResolver resolver) => expression switch
    {
        StringLiteral literal => ReferenceValue.Known(literal.Value),
        PathExpression path => resolver.Resolve(path)
            ?? throw new TemplateException($"'{path.Path}' refers to nothing ({resolver.Name})", path.Offset),
        FunctionCall call => Call(call, resolver),
        _ => throw new TemplateException("unsupported expression", expression.Offset),
    };

    private static ReferenceValue Call(FunctionCall call, IReferenceResolver resolver)
    {
        var arguments = call.Arguments.Select(a => EvaluateExpression(a, resolver)).ToList();
        var secret = arguments.Any(a => a.IsSecret);
        if (call.Name == "default")
        {
            // The fallback applies to an empty value; an unknown value may still turn out non-empty.
            var value = arguments[0];
            return !value.IsKnown ? value : value.AsText()!.Length > 0 ? value : arguments[1];
        }

        if (arguments.Any(a => !a.IsKnown))
        {
            return ReferenceValue.Unknown;
        }

        return call.Name switch
        {
            "join" => ReferenceValue.Known(string.Join(arguments[1].AsText(), arguments[0].Items ?? [arguments[0].Text!]), secret),
            "upper" => ReferenceValue.Known(arguments[0].AsText()!.ToUpperInvariant(), secret),
            "lower" => ReferenceValue.Known(arguments[0].AsText()!.ToLowerInvariant(), secret),
            _ => throw new TemplateException($"unknown function '{call.Name}'", call.Offset),
        };
    }
}
