using Strata.Spec.Diagnostics;
using Strata.Spec.Model;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>
/// Reads one YAML mapping of the spec against the keys the grammar allows there, reporting unknown keys (with the
/// nearest known key) as soon as it is opened.
/// </summary>
internal sealed class MapReader
{
    private readonly Dictionary<string, KeyValuePair<SpecScalar, SpecNode>> _entries;
    private readonly DiagnosticBag _diagnostics;

    private MapReader(SpecMapping mapping, string path, SourceLocation owner, DiagnosticBag diagnostics)
    {
        Mapping = mapping;
        Path = path;
        Owner = owner;
        _diagnostics = diagnostics;
        _entries = new Dictionary<string, KeyValuePair<SpecScalar, SpecNode>>(mapping.Entries.Count, StringComparer.Ordinal);
        foreach (var entry in mapping.Entries)
        {
            _entries[entry.Key.Value] = entry;
        }
    }

    public SpecMapping Mapping { get; }

    /// <summary>Where the mapping sits in the spec, e.g. <c>tiers.web.health</c>.</summary>
    public string Path { get; }

    /// <summary>The key that owns the mapping, where "missing key" errors point.</summary>
    public SourceLocation Owner { get; }

    /// <summary>
    /// Opens <paramref name="node"/> as a mapping with the given known keys. Reports a shape error and returns null
    /// when it is something else; an empty value reads as an empty mapping when <paramref name="emptyAllowed"/>.
    /// </summary>
    public static MapReader? Open(SpecNode? node, string path, SourceLocation owner, ReadContext context, IReadOnlyCollection<string> known, bool emptyAllowed = false)
    {
        if (node is SpecScalar { IsNull: true } && emptyAllowed)
        {
            return new MapReader(new SpecMapping(node.Location, node.EndLine, []), path, owner, context.Diagnostics);
        }

        if (node is not SpecMapping mapping)
        {
            if (node is not null)
            {
                context.Diagnostics.Error(node.Location, DiagnosticCodes.WrongShape, $"{path}: expected a mapping, found {node.KindName}", ShapeHint(known));
            }

            return null;
        }

        var reader = new MapReader(mapping, path, owner, context.Diagnostics);
        reader.ReportUnknown(known);
        return reader;
    }

    /// <summary>Opens a mapping whose keys are names chosen by the user (tiers, env variables), so any key is allowed.</summary>
    public static MapReader? OpenNamed(SpecNode? node, string path, SourceLocation owner, ReadContext context) =>
        Open(node, path, owner, context, known: null!, emptyAllowed: true);

    public IEnumerable<KeyValuePair<SpecScalar, SpecNode>> Entries => Mapping.Entries;

    public SpecNode? this[string key] => _entries.TryGetValue(key, out var entry) ? entry.Value : null;

    public SpecScalar? KeyOf(string key) => _entries.TryGetValue(key, out var entry) ? entry.Key : null;

    public bool Has(string key) => _entries.ContainsKey(key);

    /// <summary>The value of a required key, or null after reporting that it is missing.</summary>
    public SpecNode? Required(string key, string? hint = null)
    {
        if (this[key] is { } node)
        {
            return node;
        }

        var message = Path.Length == 0 ? $"missing required key '{key}'" : $"{Path}: missing required key '{key}'";
        _diagnostics.Error(Owner, DiagnosticCodes.MissingKey, message, hint);
        return null;
    }

    private void ReportUnknown(IReadOnlyCollection<string>? known)
    {
        if (known is null)
        {
            return;
        }

        foreach (var (key, _) in Mapping.Entries)
        {
            if (!known.Contains(key.Value))
            {
                var where = Path.Length == 0 ? "at the top level" : $"in {Path}";
                _diagnostics.Error(key.Location, DiagnosticCodes.UnknownKey, $"unknown key '{key.Value}' {where}", NameSuggestions.Hint(key.Value, known, "key"));
            }
        }
    }

    private static string? ShapeHint(IReadOnlyCollection<string>? known) =>
        known is null || known.Count == 0 ? "write 'name: value' pairs" : $"write keys such as {string.Join(", ", known.Take(4).Select(k => $"'{k}'"))}";
}
