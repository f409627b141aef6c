using System.Text;
using System.Text.RegularExpressions;

namespace Strata.Spec.Interpolation;

/// <summary>
/// Finds the <c>${…}</c> expressions of a command template that <c>/bin/sh</c> expands into the argument list of a
/// program it starts. Strata keeps a secret off its own <c>sh -c</c> command line (see
/// <see cref="ShellCommandRenderer"/>), but in <c>app --token ${params.token}</c> the shell hands the value to
/// <c>app</c> as an argument, where <c>ps</c> shows it to every user. A value in a leading assignment
/// (<c>TOKEN=… app</c>), a redirection target, or the arguments of a shell builtin that starts nothing (<c>echo</c>,
/// <c>printf</c>, <c>export</c>, <c>test</c>) stays in the shell.
/// </summary>
/// <remarks>
/// A reading of the POSIX shell grammar good enough to warn, not to decide: simple commands are split at
/// <c>; &amp; | ( ) `</c> and newlines, words at blanks outside quotes; <c>if</c>, <c>while</c> and the like are
/// skipped at the start of a command, <c>for</c> and <c>case</c> commands are not looked into.
/// </remarks>
internal static partial class ProgramArguments
{
    // dash's builtins that run no other program, so their arguments stay in the shell's memory.
    private static readonly HashSet<string> s_builtins = new(StringComparer.Ordinal)
    {
        ":", ".", "alias", "break", "cd", "continue", "echo", "exit", "export", "false", "getopts", "hash", "jobs", "kill", "local",
        "printf", "pwd", "read", "readonly", "return", "set", "shift", "test", "[", "times", "trap", "true", "type", "ulimit",
        "umask", "unalias", "unset", "wait",
    };

    private static readonly HashSet<string> s_keywords = new(StringComparer.Ordinal) { "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time" };

    /// <summary>The expressions of <paramref name="template"/> that end up in the argument list of a program, in order.</summary>
    public static IReadOnlyList<TemplateExpression> Of(ParsedTemplate template)
    {
        var scanner = new Scanner();
        foreach (var part in template.Parts)
        {
            if (part.Literal is not null)
            {
                scanner.Read(part.Literal);
            }
            else
            {
                scanner.Add(part.Expression!);
            }
        }

        scanner.EndCommand();
        return scanner.Found;
    }

    private sealed class Word
    {
        public StringBuilder Literal { get; } = new();

        public List<TemplateExpression> Expressions { get; } = [];

        /// <summary>How much literal text came before the first expression.</summary>
        public int LiteralBeforeExpressions { get; set; } = -1;

        public bool IsRedirectTarget { get; init; }

        public bool IsLiteral => Expressions.Count == 0;

        public bool IsAssignment =>
            AssignmentPrefix().Match(Literal.ToString()) is { Success: true } match && (IsLiteral || match.Length <= LiteralBeforeExpressions);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*=")]
    private static partial Regex AssignmentPrefix();

    private sealed class Scanner
    {
        private readonly List<Word> _words = [];
        private Word? _word;
        private char _quote;
        private bool _escaped;
        private bool _comment;
        private bool _redirect;

        public List<TemplateExpression> Found { get; } = [];

        public void Add(TemplateExpression expression)
        {
            if (_comment)
            {
                return;
            }

            var word = Current();
            if (word.IsLiteral)
            {
                word.LiteralBeforeExpressions = word.Literal.Length;
            }

            word.Expressions.Add(expression);
        }

        public void Read(string literal)
        {
            foreach (var c in literal)
            {
                Read(c);
            }
        }

        private void Read(char c)
        {
            if (_comment)
            {
                ReadComment(c);
                return;
            }

            if (_escaped || (_quote == '\'' && c != '\'') || (_quote == '"' && c is not '"' and not '\\'))
            {
                _escaped = false;
                Current().Literal.Append(c);
                return;
            }

            switch (c)
            {
                case '\\':
                    _escaped = true;
                    Current();
                    break;
                case '\'' or '"':
                    _quote = _quote == c ? '\0' : c;
                    Current();
                    break;
                case ' ' or '\t':
                    EndWord();
                    break;
                case '&' when _redirect && _word is null:
                    // ">&2" duplicates a descriptor: the "&" belongs to the redirection.
                    break;
                case '\n' or ';' or '&' or '|' or '(' or ')' or '`':
                    EndCommand();
                    break;
                case '<' or '>':
                    StartRedirect();
                    break;
                case '#' when _word is null:
                    _comment = true;
                    break;
                default:
                    Current().Literal.Append(c);
                    break;
            }
        }

        /// <summary>A comment runs to the end of its line, which also ends the command.</summary>
        private void ReadComment(char c)
        {
            if (c == '\n')
            {
                _comment = false;
                EndCommand();
            }
        }

        private void StartRedirect()
        {
            // "2>file": the digits name a descriptor, not an argument.
            if (_word is { IsLiteral: true } fd && fd.Literal.ToString().All(char.IsAsciiDigit))
            {
                _words.Remove(fd);
                _word = null;
            }

            EndWord();
            _redirect = true;
        }

        private Word Current()
        {
            if (_word is null)
            {
                _word = new Word { IsRedirectTarget = _redirect };
                _redirect = false;
                _words.Add(_word);
            }

            return _word;
        }

        private void EndWord() => _word = null;

        public void EndCommand()
        {
            EndWord();
            _redirect = false;
            var words = _words.Where(w => !w.IsRedirectTarget).ToList();
            _words.Clear();
            var start = 0;
            while (start < words.Count && (words[start].IsAssignment || (words[start].IsLiteral && s_keywords.Contains(words[start].Literal.ToString()))))
            {
                start++;
            }

            if (start == words.Count || (words[start].IsLiteral && words[start].Literal.ToString() is "for" or "case" || IsBuiltin(words[start])))
            {
                return;
            }

            Found.AddRange(words.Skip(start).SelectMany(w => w.Expressions));
        }

        private static bool IsBuiltin(Word word) => word.IsLiteral && s_builtins.Contains(word.Literal.ToString());
    }
}
