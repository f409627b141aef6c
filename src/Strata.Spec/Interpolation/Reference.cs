namespace Strata.Spec.Interpolation;

/// <summary>
/// A reference of the grammar docs/spec.md lists under Interpolation, read from a <c>${…}</c> path. This is the one
/// place that knows which paths exist: the loader checks references with it, <see cref="ReferenceResolver"/> gives
/// them values, and dependency ordering asks it which tier's servers a reference reads.
/// </summary>
/// <param name="Path">The path as written.</param>
public abstract record Reference(PathExpression Path)
{
    // In the order docs/spec.md and the loader's hints list them.
    private static readonly (string Name, ServerAttribute Attribute)[] s_self =
        [("address", ServerAttribute.Address), ("name", ServerAttribute.Name), ("tier", ServerAttribute.Tier), ("zone", ServerAttribute.Zone), ("id", ServerAttribute.Id)];

    private static readonly (string Name, ServerAttribute Attribute)[] s_servers = [.. s_self.Where(a => a.Attribute != ServerAttribute.Tier)];

    private static readonly (string Name, LoadBalancerAttribute Attribute)[] s_loadBalancers =
        [("address", LoadBalancerAttribute.Address), ("port", LoadBalancerAttribute.Port), ("listen", LoadBalancerAttribute.Listen), ("url", LoadBalancerAttribute.Url)];

    /// <summary>The roots a reference may start with, in the order diagnostics list them.</summary>
    public static IReadOnlyList<string> Roots { get; } = ["params", "tiers", "self", "loadBalancers", "deployment"];

    /// <summary>The attributes of <c>self</c>, as written.</summary>
    public static IReadOnlyList<string> SelfAttributes { get; } = [.. s_self.Select(a => a.Name)];

    /// <summary>The attributes of <c>tiers.&lt;tier&gt;.servers[…]</c>, as written.</summary>
    public static IReadOnlyList<string> ServerAttributes { get; } = [.. s_servers.Select(a => a.Name)];

    /// <summary>The attributes of <c>loadBalancers.&lt;lb&gt;</c>, as written.</summary>
    public static IReadOnlyList<string> LoadBalancerAttributes { get; } = [.. s_loadBalancers.Select(a => a.Name)];

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
            ("self", 2) when Find(s[1], s_self) is { } attribute => new SelfReference(path, attribute),
            ("loadBalancers", 3) when s[1].Name is { } balancer && Find(s[2], s_loadBalancers) is { } attribute => new LoadBalancerReference(path, balancer, attribute),
            ("tiers", 4) when s[1].Name is { } tier && s[2].Name == "ports" && s[3].Name is { } port => new TierPortReference(path, tier, port),
            ("tiers", 5) when s[1].Name is { } tier && s[2].Name == "servers" && s[3].Name is null && Find(s[4], s_servers) is { } attribute =>
                new TierServerReference(path, tier, s[3].IsWildcard ? null : s[3].Index, attribute),
            _ => null,
        };
    }

    private static T? Find<T>(PathSegment segment, (string Name, T Attribute)[] attributes)
        where T : struct, Enum
    {
        var index = Array.FindIndex(attributes, a => a.Name == segment.Name);
        return index < 0 ? null : attributes[index].Attribute;
    }
}

/// <summary>What a server offers to templates; <see cref="Name"/> and <see cref="Id"/> are both its unique name.</summary>
public enum ServerAttribute
{
    Address,
    Name,
    Tier,
    Zone,
    Id,
}

/// <summary>What a load balancer offers to templates, all from the spec's <c>listen</c> and <c>tls</c>.</summary>
public enum LoadBalancerAttribute
{
    Address,
    Port,
    Listen,
    Url,
}

/// <summary><c>params.&lt;name&gt;</c>: a parameter's value, secret when the parameter is.</summary>
public sealed record ParameterReference(PathExpression Path, string Name) : Reference(Path);

/// <summary><c>deployment.name</c>.</summary>
public sealed record DeploymentNameReference(PathExpression Path) : Reference(Path);

/// <summary><c>loadBalancers.&lt;lb&gt;.address</c>, <c>.port</c>, <c>.listen</c> or <c>.url</c>: from the spec.</summary>
public sealed record LoadBalancerReference(PathExpression Path, string LoadBalancer, LoadBalancerAttribute Attribute) : Reference(Path);

/// <summary><c>tiers.&lt;tier&gt;.ports.&lt;port&gt;</c>: a port number from the spec, the same on every server.</summary>
public sealed record TierPortReference(PathExpression Path, string Tier, string Port) : Reference(Path);

/// <summary><c>tiers.&lt;tier&gt;.servers[&lt;i&gt;].&lt;attribute&gt;</c>, or <c>[*]</c> (<see cref="Index"/> null) for the list of every server's.</summary>
public sealed record TierServerReference(PathExpression Path, string Tier, int? Index, ServerAttribute Attribute) : Reference(Path)
{
    public override string? ServersOf => Tier;
}

/// <summary><c>self.&lt;attribute&gt;</c>: the server a template is evaluated for.</summary>
public sealed record SelfReference(PathExpression Path, ServerAttribute Attribute) : Reference(Path)
{
    public override bool NeedsSelf => true;
}
