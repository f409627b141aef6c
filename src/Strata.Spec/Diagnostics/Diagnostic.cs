using Strata.Spec.Model;

namespace Strata.Spec.Diagnostics;

public enum DiagnosticSeverity { Error, Warning }

/// <summary>
/// One problem found in a spec, pointing at the exact place it was written. <see cref="ToString"/> renders it the
/// way compilers do, <c>strata.yaml:12:7: error: unknown key 'intervall'</c>, followed by <c>  hint: …</c> when there
/// is a hint, so editors and terminals can jump to it.
/// </summary>
public sealed record Diagnostic(SourceLocation Location, DiagnosticSeverity Severity, string Code, string Message, string? Hint)
{
    public bool IsError => Severity == DiagnosticSeverity.Error;

    public override string ToString()
    {
        var where = Location.ToString();
        var severity = Severity == DiagnosticSeverity.Error ? "error" : "warning";
        var head = where.Length == 0 ? $"{severity}: {Message}" : $"{where}: {severity}: {Message}";
        return Hint is null ? head : $"{head}\n  hint: {Hint}";
    }
}
