using System.Text.RegularExpressions;
using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Strata.Spec.Yaml;

/// <summary>Reads one YAML document into a <see cref="SpecNode"/> tree, turning syntax errors into diagnostics.</summary>
internal sealed partial class YamlTreeReader
{
    /// <summary>Nesting deeper than this is not a deployment spec; refusing it keeps hostile input from exhausting the stack.</summary>
    private const int MaxDepth = 64;

    private readonly string _file;
    private readonly DiagnosticBag _diagnostics;
    private readonly Dictionary<string, SpecNode> _anchors = new(StringComparer.Ordinal);
    private IParser _parser = null!;

    private YamlTreeReader(string file, DiagnosticBag diagnostics)
    {
        _file = file;
        _diagnostics = diagnostics;
    }

    /// <summary>The root node, or null when the text is empty or not valid YAML (a diagnostic says which).</summary>
    public static SpecNode? Read(string text, string file, DiagnosticBag diagnostics)
    {
        var reader = new YamlTreeReader(file, diagnostics);
        try
        {
            return reader.ReadStream(text);
        }
        catch (YamlException ex)
        {
            var at = ex.Start.Index == 0 && FirstTabIndent(text) is { } tab ? new SourceLocation(file, tab, 1) : reader.At(ex.Start);
            diagnostics.Error(at, DiagnosticCodes.Syntax, CleanMessage(ex), "check the indentation and quoting on this line or the one before; YAML indents with spaces, never tabs");
            return null;
        }
        catch (InvalidSpecTreeException ex)
        {
            diagnostics.Error(ex.Location, DiagnosticCodes.Syntax, ex.Message, ex.Hint);
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way on some malformed plain scalars instead of raising a YamlException.
            var at = reader._parser is { Current: { } current } ? reader.At(current.End) : new SourceLocation(file, 1, 1);
            diagnostics.Error(at, DiagnosticCodes.Syntax, "YAML syntax: the text after this point cannot be read", "check the quoting and indentation of the following lines");
            return null;
        }
    }

    private SpecNode? ReadStream(string text)
    {
        var parser = new Parser(new StringReader(text));
        _parser = parser;
        parser.Consume<StreamStart>();
        if (_parser.TryConsume<StreamEnd>(out _))
        {
            return null;
        }

        _parser.Consume<DocumentStart>();
        var root = _parser.Accept<DocumentEnd>(out _) ? null : ReadNode(0);
        _parser.Consume<DocumentEnd>();
        if (_parser.Accept<DocumentStart>(out var second))
        {
            throw new InvalidSpecTreeException(At(second.Start), "a spec holds one YAML document, but a second one starts here", "remove the '---' line and what follows, or put it in its own file");
        }

        return root;
    }

    private SpecNode ReadNode(int depth)
    {
        var current = _parser.Current!;
        if (depth > MaxDepth)
        {
            throw new InvalidSpecTreeException(At(current.Start), $"values are nested more than {MaxDepth} levels deep", null);
        }

        SpecNode node;
        string? anchor = null;
        switch (current)
        {
            case AnchorAlias alias:
                _parser.MoveNext();
                return _anchors.TryGetValue(alias.Value.Value, out var target)
                    ? target
                    : throw new InvalidSpecTreeException(At(alias.Start), $"alias '*{alias.Value.Value}' refers to no anchor", "define '&" + alias.Value.Value + "' before using it");
            case Scalar scalar:
                _parser.MoveNext();
                anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
                node = new SpecScalar(At(scalar.Start), (int)scalar.End.Line, scalar.Value, scalar.Style);
                break;
            case SequenceStart start:
                anchor = start.Anchor.IsEmpty ? null : start.Anchor.Value;
                node = ReadSequence(start, depth);
                break;
            case MappingStart start:
                anchor = start.Anchor.IsEmpty ? null : start.Anchor.Value;
                node = ReadMapping(start, depth);
                break;
            default:
                throw new InvalidSpecTreeException(At(current.Start), $"unexpected YAML {current.GetType().Name}", null);
        }

        if (anchor is not null)
        {
            _anchors[anchor] = node;
        }

        return node;
    }

    private SpecSequence ReadSequence(SequenceStart start, int depth)
    {
        _parser.MoveNext();
        var items = new List<SpecNode>();
        while (!_parser.Accept<SequenceEnd>(out _))
        {
            items.Add(ReadNode(depth + 1));
        }

        var end = _parser.Consume<SequenceEnd>();
        return new SpecSequence(At(start.Start), (int)end.End.Line, items);
    }

    private SpecMapping ReadMapping(MappingStart start, int depth)
    {
        _parser.MoveNext();
        var entries = new List<KeyValuePair<SpecScalar, SpecNode>>();
        var seen = new Dictionary<string, SpecScalar>(StringComparer.Ordinal);
        while (!_parser.Accept<MappingEnd>(out _))
        {
            var keyNode = ReadNode(depth + 1);
            var value = ReadNode(depth + 1);
            if (keyNode is not SpecScalar key)
            {
                _diagnostics.Error(keyNode.Location, DiagnosticCodes.WrongShape, $"a key must be a single value, not {keyNode.KindName}", "write keys as plain names");
                continue;
            }

            if (seen.TryGetValue(key.Value, out var first))
            {
                _diagnostics.Error(key.Location, DiagnosticCodes.DuplicateKey, $"duplicate key '{key.Value}'", $"it is first defined at line {first.Location.Line}; remove one of them");
                continue;
            }

            seen.Add(key.Value, key);
            entries.Add(new(key, value));
        }

        var end = _parser.Consume<MappingEnd>();
        return new SpecMapping(At(start.Start), (int)end.End.Line, entries);
    }

    /// <summary>
    /// The first line indented with a tab. YamlDotNet reports tab errors without a position, so the line is found
    /// here to keep the diagnostic pointing at the problem.
    /// </summary>
    private static int? FirstTabIndent(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            if (lines[i].AsSpan(0, indent).Contains('\t'))
            {
                return i + 1;
            }
        }

        return null;
    }

    private SourceLocation At(Mark mark) => new(_file, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    private static string CleanMessage(YamlException ex)
    {
        var message = LocationPrefix().Replace(ex.Message, "").Trim();
        if (message.Length == 0)
        {
            message = "invalid YAML";
        }

        return "YAML syntax: " + char.ToLowerInvariant(message[0]) + message[1..].TrimEnd('.');
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*")]
    private static partial Regex LocationPrefix();

    private sealed class InvalidSpecTreeException(SourceLocation location, string message, string? hint) : Exception(message)
    {
        public SourceLocation Location { get; } = location;

        public string? Hint { get; } = hint;
    }
}
