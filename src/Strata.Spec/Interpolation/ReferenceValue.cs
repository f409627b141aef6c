namespace Strata.Spec.Interpolation;

/// <summary>
/// What a reference resolves to: text, a list (from <c>[*]</c>), or a value known only after apply (an address of
/// a server not yet launched). <see cref="IsSecret"/> marks values from secret parameters so printers can redact them.
/// </summary>
public sealed record ReferenceValue
{
    private ReferenceValue(string? text, IReadOnlyList<string>? items, bool isSecret)
    {
        Text = text;
        Items = items;
        IsSecret = isSecret;
    }

    public string? Text { get; }

    public IReadOnlyList<string>? Items { get; }

    public bool IsSecret { get; }

    public bool IsKnown => Text is not null || Items is not null;

    /// <summary>A value that exists only once resources are created, shown as <c>(known after apply)</c>.</summary>
    public static ReferenceValue Unknown { get; } = new(null, null, false);

    public static ReferenceValue Known(string text, bool isSecret = false) => new(text, null, isSecret);

    public static ReferenceValue List(IReadOnlyList<string> items, bool isSecret = false) => new(null, items, isSecret);

    /// <summary>The value as one string; lists are joined with commas.</summary>
    public string? AsText() => Text ?? (Items is null ? null : string.Join(",", Items));
}

/// <summary>Resolves the paths of <c>${…}</c> expressions, e.g. <c>params.webServers</c> or <c>self.address</c>.</summary>
public interface IReferenceResolver
{
    /// <summary>Identifies the resolver in errors, e.g. <c>plan</c> or <c>server web-1</c>.</summary>
    string Name { get; }

    /// <summary>The value of <paramref name="path"/>, or null when the path names nothing.</summary>
    ReferenceValue? Resolve(PathExpression path);
}

/// <summary>
/// The result of evaluating a template: its text, or that it is known only after apply. A result that used a secret
/// is <see cref="IsSecret"/>; <see cref="Display"/> then shows <c>(secret)</c> instead of the text.
/// </summary>
public sealed record TemplateValue(string? Text, bool IsSecret)
{
    public const string KnownAfterApplyText = "(known after apply)";

    public const string SecretText = "(secret)";

    public bool IsKnown => Text is not null;

    /// <summary>What a plan or status may print: the text, <c>(secret)</c> or <c>(known after apply)</c>.</summary>
    public string Display => IsSecret ? SecretText : Text ?? KnownAfterApplyText;

    public override string ToString() => Display;
}
