namespace Strata.Spec.Model;

/// <summary>A position in a spec file, 1-based, used to point every diagnostic at its line.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    /// <summary>A location for values that do not come from a file (parameters given on the command line).</summary>
    public static SourceLocation None { get; } = new("", 0, 0);

    public override string ToString() => Line == 0 ? File : $"{File}:{Line}:{Column}";
}
