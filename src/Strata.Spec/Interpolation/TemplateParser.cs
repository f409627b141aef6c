using System.Globalization;
using Strata.Spec.Diagnostics;

namespace Strata.Spec.Interpolation;

/// <summary>
/// Parses <c>${…}</c> interpolations: dotted paths with <c>[index]</c> and <c>[*]</c>, quoted string literals and
/// calls of the built-in functions. <c>$${</c> writes a literal <c>${</c>.
/// </summary>
public static class TemplateParser
{
    /// <summary>Parses raw template text; throws <see cref="TemplateException"/> with the offset of the first error.</summary>
    public static ParsedTemplate Parse(string raw)
    {
        var parts = new List<TemplatePart>();
        var literal = new System.Text.StringBuilder();
        var i = 0;
        while (i < raw.Length)
        {
            if (raw[i] == '$' && At(raw, i + 1, "${"))
            {
                literal.Append("${");
                i += 3;
            }
            else if (raw[i] == '$' && At(raw, i + 1, "{"))
            {
                Flush(parts, literal);
                var cursor = new Cursor(raw, i + 2);
                parts.Add(new TemplatePart(null, ParseInterpolation(cursor, i)));
                i = cursor.Position;
            }
            else
            {
                literal.Append(raw[i]);
                i++;
            }
        }

        Flush(parts, literal);
        return new ParsedTemplate(parts);
    }

    /// <summary>Parses without throwing: the template, or the error message and its offset.</summary>
    public static bool TryParse(string raw, out ParsedTemplate? template, out TemplateException? error)
    {
        try
        {
            template = Parse(raw);
            error = null;
            return true;
        }
        catch (TemplateException ex)
        {
            template = null;
            error = ex;
            return false;
        }
    }

    private static TemplateExpression ParseInterpolation(Cursor cursor, int start)
    {
        cursor.SkipSpaces();
        if (cursor.AtEnd)
        {
            throw new TemplateException("'${' is never closed with '}'", start);
        }

        if (cursor.Peek == '}')
        {
            throw new TemplateException("empty expression '${}'", start);
        }

        var expression = ParseExpression(cursor);
        cursor.SkipSpaces();
        if (cursor.AtEnd)
        {
            throw new TemplateException("'${' is never closed with '}'", start);
        }

        if (cursor.Peek != '}')
        {
            throw new TemplateException($"unexpected '{cursor.Peek}' in expression", cursor.Position);
        }

        cursor.Position++;
        return expression;
    }

    private static TemplateExpression ParseExpression(Cursor cursor)
    {
        cursor.SkipSpaces();
        if (cursor.AtEnd)
        {
            throw new TemplateException("expected a value but the expression ends", cursor.Position);
        }

        var c = cursor.Peek;
        if (c is '\'' or '"')
        {
            return ParseString(cursor);
        }

        var start = cursor.Position;
        var name = ParseIdentifier(cursor, "a name, a quoted string or a function call");
        cursor.SkipSpaces();
        if (!cursor.AtEnd && cursor.Peek == '(')
        {
            return ParseCall(cursor, name, start);
        }

        return ParsePath(cursor, name, start);
    }

    private static FunctionCall ParseCall(Cursor cursor, string name, int start)
    {
        if (!FunctionCall.Known.TryGetValue(name, out var arity))
        {
            var hint = NameSuggestions.Nearest(name, FunctionCall.Known.Keys) is { } near ? $"; did you mean '{near}'?" : "";
            throw new TemplateException($"unknown function '{name}'{hint} (functions: join, default, upper, lower)", start);
        }

        cursor.Position++;
        var arguments = new List<TemplateExpression>();
        cursor.SkipSpaces();
        if (!cursor.AtEnd && cursor.Peek == ')')
        {
            cursor.Position++;
        }
        else
        {
            while (true)
            {
                arguments.Add(ParseExpression(cursor));
                cursor.SkipSpaces();
                if (cursor.AtEnd)
                {
                    throw new TemplateException($"'{name}(' is never closed with ')'", start);
                }

                var next = cursor.Peek;
                cursor.Position++;
                if (next == ')')
                {
                    break;
                }

                if (next != ',')
                {
                    throw new TemplateException($"expected ',' or ')' but found '{next}'", cursor.Position - 1);
                }
            }
        }

        if (arguments.Count != arity)
        {
            throw new TemplateException($"{name}() takes {arity} argument{(arity == 1 ? "" : "s")}, but {arguments.Count} {(arguments.Count == 1 ? "is" : "are")} given", start);
        }

        return new FunctionCall(name, arguments, start);
    }

    private static PathExpression ParsePath(Cursor cursor, string first, int start)
    {
        var segments = new List<PathSegment> { PathSegment.Named(first) };
        while (!cursor.AtEnd)
        {
            if (cursor.Peek == '.')
            {
                cursor.Position++;
                segments.Add(PathSegment.Named(ParseIdentifier(cursor, "a name after '.'")));
            }
            else if (cursor.Peek == '[')
            {
                segments.Add(ParseIndex(cursor));
            }
            else
            {
                break;
            }
        }

        return new PathExpression(segments, start);
    }

    private static PathSegment ParseIndex(Cursor cursor)
    {
        var open = cursor.Position;
        cursor.Position++;
        var close = cursor.Text.IndexOf(']', cursor.Position);
        if (close < 0)
        {
            throw new TemplateException("'[' is never closed with ']'", open);
        }

        var inner = cursor.Text[cursor.Position..close].Trim();
        cursor.Position = close + 1;
        if (inner == "*")
        {
            return new PathSegment(null, null, true);
        }

        if (int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return new PathSegment(null, index, false);
        }

        throw new TemplateException($"an index is a number or '*', not '{inner}'", open + 1);
    }

    private static string ParseIdentifier(Cursor cursor, string expected)
    {
        var start = cursor.Position;
        while (!cursor.AtEnd && (char.IsAsciiLetterOrDigit(cursor.Peek) || cursor.Peek is '_' or '-'))
        {
            cursor.Position++;
        }

        if (cursor.Position == start || !char.IsAsciiLetter(cursor.Text[start]))
        {
            var found = start >= cursor.Text.Length ? "the end" : $"'{cursor.Text[start]}'";
            throw new TemplateException($"expected {expected}, found {found}", start);
        }

        return cursor.Text[start..cursor.Position];
    }

    private static StringLiteral ParseString(Cursor cursor)
    {
        var start = cursor.Position;
        var quote = cursor.Peek;
        var end = cursor.Text.IndexOf(quote, start + 1);
        if (end < 0)
        {
            throw new TemplateException($"string starting with {quote} is never closed", start);
        }

        cursor.Position = end + 1;
        return new StringLiteral(cursor.Text[(start + 1)..end], start);
    }

    private static bool At(string text, int index, string expected) =>
        index + expected.Length <= text.Length && string.CompareOrdinal(text, index, expected, 0, expected.Length) == 0;

    private static void Flush(List<TemplatePart> parts, System.Text.StringBuilder literal)
    {
        if (literal.Length > 0)
        {
            parts.Add(new TemplatePart(literal.ToString(), null));
            literal.Clear();
        }
    }

    private sealed class Cursor(string text, int position)
    {
        public string Text { get; } = text;

        public int Position { get; set; } = position;

        public bool AtEnd => Position >= Text.Length;

        public char Peek => Text[Position];

        public void SkipSpaces()
        {
            while (!AtEnd && Text[Position] == ' ')
            {
                Position++;
            }
        }
    }
}
