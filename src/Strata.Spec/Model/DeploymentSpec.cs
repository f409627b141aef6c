namespace Strata.Spec.Model;

/// <summary>
/// A whole deployment as written in <c>strata.yaml</c>, after parsing and parameter resolution. Values known only at
/// run time (addresses) stay as <see cref="Template"/>s. Collections keep the order of the file.
/// </summary>
public sealed record DeploymentSpec
{
    /// <summary>The deployment name: lower-case letters, digits and dashes; the first part of every generated name.</summary>
    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>The provider that runs the servers. The default is <c>local</c>.</summary>
    public string Provider { get; init; } = "local";

    /// <summary>The file the spec was read from; image sources are relative to its folder.</summary>
    public required string SourceFile { get; init; }

    public IReadOnlyList<ParameterSpec> Parameters { get; init; } = [];

    public IReadOnlyList<ImageSpec> Images { get; init; } = [];

    public IReadOnlyList<TierSpec> Tiers { get; init; } = [];

    public IReadOnlyList<LoadBalancerSpec> LoadBalancers { get; init; } = [];

    public IReadOnlyList<FirewallRuleSpec> Firewall { get; init; } = [];

    public StorageSpec Storage { get; init; } = new();

    public IReadOnlyList<OutputSpec> Outputs { get; init; } = [];

    public SourceLocation Location { get; init; }

    /// <summary>
    /// The value of every parameter that has one, after precedence (command line, params file, environment, default).
    /// Secret values are included: print them only through <see cref="TemplateValue.Display"/> or after checking
    /// <see cref="ParameterSpec.Secret"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> ResolvedParameters { get; init; } = new Dictionary<string, string>();

    /// <summary>The folder that relative paths in the spec are resolved against.</summary>
    public string BaseDirectory => Path.GetDirectoryName(Path.GetFullPath(SourceFile)) ?? ".";

    public TierSpec? FindTier(string name) => Tiers.FirstOrDefault(t => t.Name == name);

    public ImageSpec? FindImage(string name) => Images.FirstOrDefault(i => i.Name == name);

    public LoadBalancerSpec? FindLoadBalancer(string name) => LoadBalancers.FirstOrDefault(l => l.Name == name);
}

/// <summary>A named output shown after <c>strata up</c>, such as the URL of a load balancer.</summary>
public sealed record OutputSpec(string Name, Template Value, SourceLocation Location);
