namespace Strata.Spec.Interpolation;

/// <summary>
/// A reference of the grammar docs/spec.md lists under Interpolation, read from a <c>${…}</c> path. This is the one
/// place that knows which paths exist: the loader checks references with it, <see cref="ReferenceResolver"/> gives
/// them values, and dependency ordering asks it which tier's servers a reference reads.
/// </summary>
/// <param name="Path">The path as written.</param>
public abstract record Reference(PathExpression Path)
{
    /// <summary>The roots a reference may start with, in the order diagnostics list them.</summary>
    public static IReadOnlyList<string> Roots { get; } = ["params", "tiers", "self", "loadBalancers", "deployment"];

    /// <summary>The attributes of <c>self</c>.</summary>
    public static IReadOnlyList<string> SelfAttributes { get; } = ["address", "name", "tier", "zone", "id"];

    /// <summary>The attributes of <c>tiers.&lt;tier&gt;.servers[…]</c>.</summary>
    public static IReadOnlyList<string> ServerAttributes { get; } = ["address", "name", "zone", "id"];

    /// <summary>The attributes of <c>loadBalancers.&lt;lb&gt;</c>.</summary>
    public static IReadOnlyList<string> LoadBalancerAttributes { get; } = ["address", "port", "listen", "url"];

    /// <summary>The roots as a diagnostic lists them: <c>params, tiers, self, loadBalancers or deployment</c>.</summary>
    public static string RootList => Either(Roots);

    /// <summary>How a reference starting with <paramref name="root"/> is written, for the hint of a diagnostic.</summary>
    public static string Expected(string root) => root switch
    {
        "params" => "params.<name>",
        "self" => Either(SelfAttributes.Select(a => "self." + a)),
        "tiers" => $"tiers.<tier>.servers[<index>|*].{ServerAttributes[0]} (or {string.Join(", ", ServerAttributes.Skip(1))}), or tiers.<tier>.ports.<port>",
        "loadBalancers" => $"loadBalancers.<name>.{LoadBalancerAttributes[0]} ({string.Join(", ", LoadBalancerAttributes)})",
        "deployment" => "deployment.name",
        _ => RootList,
    };

    private static string Either(IEnumerable<string> names)
    {
        var list = names.ToList();
        return string.Join(", ", list[..^1]) + " or " + list[^1];
    }

    /// <summary>
    /// The tier whose launched servers give the value (<c>tiers.db.servers[0].address</c> reads <c>db</c>), or null
    /// when the spec alone gives it. Such a reference is known only after apply and makes its tier depend on that one.
    /// </summary>
    public virtual string? ServersOf => null;

    /// <summary>Whether the value needs the server a template is evaluated for (<c>self.*</c>).</summary>
    public virtual bool NeedsSelf => false;

    /// <summary>
    /// The reference <paramref name="path"/> makes, or null when its shape is none of the grammar's (a root that does
    /// not exist, a missing or extra segment, an unknown attribute). Whether the names in it are declared is not checked.
    /// </summary>
    public static Reference? Parse(PathExpression path)
    {
        var s = path.Segments;
        return (path.Root, s.Count) switch
        {
            ("params", 2) when s[1].Name is { } name => new ParameterReference(path, name),
            ("deployment", 2) when s[1].Name == "name" => new DeploymentNameReference(path),
            ("self", 2) when Is(s[1], SelfAttributes) => new SelfReference(path, s[1].Name!),
            ("loadBalancers", 3) when s[1].Name is { } balancer && Is(s[2], LoadBalancerAttributes) => new LoadBalancerReference(path, balancer, s[2].Name!),
            ("tiers", 4) when s[1].Name is { } tier && s[2].Name == "ports" && s[3].Name is { } port => new TierPortReference(path, tier, port),
            ("tiers", 5) when s[1].Name is { } tier && s[2].Name == "servers" && s[3].Name is null && Is(s[4], ServerAttributes) =>
                new TierServerReference(path, tier, s[3].IsWildcard ? null : s[3].Index, s[4].Name!),
            _ => null,
        };
    }

    private static bool Is(PathSegment segment, IReadOnlyList<string> names) => segment.Name is { } name && names.Contains(name);
}

/// <summary><c>params.&lt;name&gt;</c>: a parameter's value, secret when the parameter is.</summary>
public sealed record ParameterReference(PathExpression Path, string Name) : Reference(Path);

/// <summary><c>deployment.name</c>.</summary>
public sealed record DeploymentNameReference(PathExpression Path) : Reference(Path);

/// <summary><c>loadBalancers.&lt;lb&gt;.address</c>, <c>.port</c>, <c>.listen</c> or <c>.url</c>: from the spec.</summary>
public sealed record LoadBalancerReference(PathExpression Path, string LoadBalancer, string Attribute) : Reference(Path);

/// <summary><c>tiers.&lt;tier&gt;.ports.&lt;port&gt;</c>: a port number from the spec, the same on every server.</summary>
public sealed record TierPortReference(PathExpression Path, string Tier, string Port) : Reference(Path);

/// <summary><c>tiers.&lt;tier&gt;.servers[&lt;i&gt;].&lt;attribute&gt;</c>, or <c>[*]</c> (<see cref="Index"/> null) for the list of every server's.</summary>
public sealed record TierServerReference(PathExpression Path, string Tier, int? Index, string Attribute) : Reference(Path)
{
    public override string? ServersOf => Tier;
}

/// <summary><c>self.&lt;attribute&gt;</c>: the server a template is evaluated for.</summary>
public sealed record SelfReference(PathExpression Path, string Attribute) : Reference(Path)
{
    public override bool NeedsSelf => true;
}
