using System.Globalization;
using System.Text;
using Strata.Spec.Model;

namespace Strata.Spec.Interpolation;

/// <summary>
/// Turns a command template (<c>run</c>, a hook, a health <c>command</c>) into text for <c>/bin/sh -c</c> so that
/// no interpolated value can change the command's shape and no secret reaches the command line, which every user of
/// the machine can read in <c>/proc/*/cmdline</c>:
/// <list type="bullet">
/// <item>a value that is not secret is inserted as one literal word, quoted for the place it appears in (bare, inside
/// <c>"…"</c> or inside <c>'…'</c>), so <c>1;touch /tmp/x</c> stays one argument;</item>
/// <item>a secret value is inserted as a reference to a generated variable, e.g. <c>"$STRATA_SECRET_1"</c>, whose value
/// is given to the process in its environment (see <see cref="Environment"/>), readable only by its own user.</item>
/// </list>
/// One renderer may render several commands of one process tree (a server's <c>configure</c> and <c>run</c>); equal
/// secret values share a variable.
/// </summary>
public sealed class ShellCommandRenderer
{
    /// <summary>The prefix of the generated variables; a number follows, from 1.</summary>
    public const string SecretVariablePrefix = "STRATA_SECRET_";

    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

    /// <summary>The generated variables and their secret values, to add to the environment of the process that runs the commands.</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>The command text, or null while a value it uses is not known yet.</summary>
    /// <exception cref="TemplateException">A reference names nothing (not the case for a spec that loaded without errors).</exception>
    public string? Render(Template template, IReferenceResolver resolver)
    {
        var text = new StringBuilder();
        var quoting = new ShellQuoting();
        foreach (var part in TemplateParser.Parse(template.Raw).Parts)
        {
            if (part.Literal is not null)
            {
                text.Append(part.Literal);
                quoting = quoting.After(part.Literal);
                continue;
            }

            var value = TemplateEvaluator.EvaluateExpression(part.Expression!, resolver);
            if (value.AsText() is not { } piece)
            {
                return null;
            }

            text.Append(value.IsSecret ? quoting.Reference(VariableFor(piece)) : quoting.Literal(piece));
            quoting = quoting with { Escaped = false };
        }

        return text.ToString();
    }

    private string VariableFor(string secret)
    {
        if (!_variables.TryGetValue(secret, out var name))
        {
            name = SecretVariablePrefix + (_variables.Count + 1).ToString(CultureInfo.InvariantCulture);
            _variables[secret] = name;
            _environment[name] = secret;
        }

        return name;
    }
}

/// <summary>Where the shell is in a command's text: outside quotes, inside <c>"…"</c> or inside <c>'…'</c>.</summary>
internal readonly record struct ShellQuoting(char Quote = '\0', bool Escaped = false)
{
    /// <summary>The state after <paramref name="literal"/>: quotes open and close, a backslash escapes outside <c>'…'</c>.</summary>
    public ShellQuoting After(string literal)
    {
        var (quote, escaped) = (Quote, Escaped);
        foreach (var c in literal)
        {
            if (escaped)
            {
                escaped = false;
            }
            else if (c == '\\' && quote != '\'')
            {
                escaped = true;
            }
            else if (quote == '\0' && c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == quote)
            {
                quote = '\0';
            }
        }

        return new ShellQuoting(quote, escaped);
    }

    /// <summary><paramref name="value"/> as literal text of one word at this place.</summary>
    public string Literal(string value) => Quote switch
    {
        '"' => EscapeForDoubleQuotes(value),
        '\'' => value.Replace("'", "'\\''", StringComparison.Ordinal),
        _ => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'",
    };

    /// <summary>The expansion of <paramref name="variable"/> as one word at this place.</summary>
    public string Reference(string variable) => Quote switch
    {
        '"' => "${" + variable + "}",
        '\'' => "'\"${" + variable + "}\"'",
        _ => "\"${" + variable + "}\"",
    };

    private static string EscapeForDoubleQuotes(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c is '\\' or '"' or '$' or '`')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        return text.ToString();
    }
}
