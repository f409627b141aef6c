using Strata.Spec.Diagnostics;
using Strata.Spec.Grammar;
using Strata.Spec.Model;
using Strata.Spec.Parameters;
using Strata.Spec.Yaml;

namespace Strata.Spec.Loading;

/// <summary>Where a template is used decides which references it may contain.</summary>
internal enum TemplateUse { Run, Hook, Env, HealthCommand, Output, StoreSetting, StoreCredential }

/// <summary>A reference to another tier's server or port, checked once every tier's server count is known.</summary>
internal sealed record TierReference(string Tier, int? Index, string? Port, string Text, SourceLocation Location);

/// <summary>An edge of the dependency graph found while reading: <paramref name="From"/> needs <paramref name="To"/> first.</summary>
internal sealed record DependencyEdge(string From, string To, SourceLocation Location);

/// <summary>The state of one spec being read: diagnostics, declared names, parameter values and deferred checks.</summary>
internal sealed partial class ReadContext(string file, ParameterValues supplied)
{
    public DiagnosticBag Diagnostics { get; } = new();

    public string File { get; } = file;

    public ParameterValues Supplied { get; } = supplied;

    public Dictionary<string, ParameterSpec> Parameters { get; } = new(StringComparer.Ordinal);

    /// <summary>Parameter values known at plan time; a parameter missing here has no usable value (missing or invalid).</summary>
    public Dictionary<string, string> ParameterValues { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SpecScalar> DeclaredImages { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SpecScalar> DeclaredTiers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, SpecScalar> DeclaredLoadBalancers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ImageSpec> Images { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, TierSpec> Tiers { get; } = new(StringComparer.Ordinal);

    public List<TierReference> TierReferences { get; } = [];

    /// <summary>Tiers each image's templates reference; a tier running the image depends on them.</summary>
    public Dictionary<string, List<(string Tier, SourceLocation Location)>> ImageTierReferences { get; } = new(StringComparer.Ordinal);

    public List<DependencyEdge> Edges { get; } = [];

    public void Error(SourceLocation location, string code, string message, string? hint = null) =>
        Diagnostics.Error(location, code, message, hint);

    /// <summary>Reads a name (a mapping key or value) and reports it when it breaks the naming rules.</summary>
    public bool CheckName(SpecScalar name, string path, string kind, int maxLength = SpecValues.MaxResourceNameLength)
    {
        if (SpecValues.IsValidName(name.Value, maxLength))
        {
            return true;
        }

        Error(name.Location, DiagnosticCodes.InvalidName, $"{path}: '{name.Value}' is not a valid {kind} name",
            $"names use lower-case letters, digits and dashes, start with a letter and are at most {maxLength} characters");
        return false;
    }

    /// <summary>The items of a list; an empty value reads as an empty list.</summary>
    public IReadOnlyList<SpecNode>? List(SpecNode? node, string path)
    {
        switch (node)
        {
            case null:
            case SpecScalar { IsNull: true }:
                return [];
            case SpecSequence sequence:
                return sequence.Items;
            default:
                Error(node.Location, DiagnosticCodes.WrongShape, $"{path}: expected a list, found {node.KindName}", "write '[a, b]' or one '- item' per line");
                return null;
        }
    }

    /// <summary>Reports a reference to an undeclared name, with the nearest declared name as the hint.</summary>
    public void UnknownName(SourceLocation location, string path, string kind, string name, IReadOnlyCollection<string> declared) =>
        Error(location, DiagnosticCodes.UnknownReference, $"{path}: unknown {kind} '{name}'", NameSuggestions.Hint(name, declared, kind));
}
