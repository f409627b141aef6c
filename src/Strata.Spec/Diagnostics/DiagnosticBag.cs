using Strata.Spec.Model;

namespace Strata.Spec.Diagnostics;

/// <summary>Collects diagnostics so every problem in a spec is reported at once instead of stopping at the first.</summary>
internal sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];

    public bool HasErrors { get; private set; }

    public IReadOnlyList<Diagnostic> Items => _items;

    public void Error(SourceLocation location, string code, string message, string? hint = null)
    {
        _items.Add(new Diagnostic(location, DiagnosticSeverity.Error, code, message, hint));
        HasErrors = true;
    }

    public void Warning(SourceLocation location, string code, string message, string? hint = null) =>
        _items.Add(new Diagnostic(location, DiagnosticSeverity.Warning, code, message, hint));

    public void AddRange(IEnumerable<Diagnostic> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            _items.Add(diagnostic);
            HasErrors |= diagnostic.IsError;
        }
    }

    /// <summary>The diagnostics in file order, so output reads top to bottom.</summary>
    public IReadOnlyList<Diagnostic> Sorted() =>
        [.. _items.Select((d, i) => (d, i))
            .OrderBy(x => x.d.Location.File, StringComparer.Ordinal)
            .ThenBy(x => x.d.Location.Line)
            .ThenBy(x => x.d.Location.Column)
            .ThenBy(x => x.i)
            .Select(x => x.d)];
}
