using Strata.Planning.Images;
using Strata.Planning.Naming;
using Strata.Planning.State;
using Strata.Spec.Model;

namespace Strata.Planning;

/// <summary>Compares a spec against the current state of its deployment and lists what an apply will change.</summary>
public static class Planner
{
    /// <summary>
    /// Makes a plan. Problems with single resources (an unreadable image folder) are collected in
    /// <see cref="Plan.Problems"/> rather than thrown, so that one run reports all of them.
    /// </summary>
    /// <param name="spec">The loaded, validated spec.</param>
    /// <param name="current">The deployment's state; <see cref="DeploymentState.Empty"/> before the first apply.</param>
    /// <param name="options">Clock, randomness and parameter digest; defaults when null.</param>
    public static Plan Plan(DeploymentSpec spec, DeploymentState current, PlanOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(current);
        if (current.Name != spec.Name)
        {
            throw new ArgumentException(
                $"The state is of deployment '{current.Name}' but the spec is of '{spec.Name}'.", nameof(current));
        }

        var context = new PlanContext(spec, current, options ?? new PlanOptions());
        return new PlanBuilder(context).Build();
    }
}

/// <summary>What every part of one planning run shares: inputs, names made so far, image digests and problems.</summary>
internal sealed class PlanContext
{
    private readonly Dictionary<string, string?> _imageDigests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _hostsUsed = new(StringComparer.Ordinal);
    private readonly Func<Template, string> _display;

    public PlanContext(DeploymentSpec spec, DeploymentState current, PlanOptions options)
    {
        Spec = spec;
        Current = current;
        Options = options;
        Names = new NameGenerator(options.Random ?? new Random(), current.PhysicalNames());
        _display = options.DisplayValue ?? ValueDisplay.For(spec, current);
        VolumesByTier = current.Volumes.ToLookup(v => v.Tier, StringComparer.Ordinal);
    }

    public DeploymentSpec Spec { get; }

    public DeploymentState Current { get; }

    public PlanOptions Options { get; }

    public NameGenerator Names { get; }

    public ILookup<string, VolumeState> VolumesByTier { get; }

    public List<PlanProblem> Problems { get; } = [];

    public IReadOnlyDictionary<string, string?> ImageDigests => _imageDigests;

    public string Display(Template value) => _display(value);

    public string NewName(string logicalId) => Names.Next(Spec.Name, logicalId);

    /// <summary>The host of the tier's next new server: null without hosts, <c>(no capacity)</c> past the tier's placements.</summary>
    public PlannedHost? NextHost(string tier)
    {
        if (Options.Hosts is not { } hosts)
        {
            return null;
        }

        var index = _hostsUsed.GetValueOrDefault(tier);
        _hostsUsed[tier] = index + 1;
        return hosts.TryGetValue(tier, out var planned) && index < planned.Count ? planned[index] : null;
    }

    /// <summary>The source digest of a spec image, or null (with a problem recorded) when it cannot be computed.</summary>
    public string? DigestImage(ImageSpec image)
    {
        if (_imageDigests.TryGetValue(image.Name, out var known))
        {
            return known;
        }

        string? digest = null;
        try
        {
            digest = Options.ComputeImageDigest(Path.Combine(Spec.BaseDirectory, image.From));
        }
        catch (ImageDigestException ex)
        {
            Problems.Add(new PlanProblem(Addresses.Image(image.Name), ex.Message));
        }

        _imageDigests[image.Name] = digest;
        return digest;
    }
}

/// <summary>Plan addresses, in one place so that planner, renderer and runtime spell them alike.</summary>
public static class Addresses
{
    public static string Image(string name) => $"images.{name}";

    public static string Tier(string name) => $"tiers.{name}";

    public static string Server(string tier, string physicalName) => $"tiers.{tier}.servers[{physicalName}]";

    public static string LoadBalancer(string name) => $"loadBalancers.{name}";

    public static string Volume(string tier, string volume) => $"volumes.{tier}.{volume}";

    public static string PhysicalVolume(string tier, string volume, string physicalName) =>
        $"volumes.{tier}.{volume}[{physicalName}]";

    public static string FirewallRule(string key) => $"firewall[{key}]";
}
