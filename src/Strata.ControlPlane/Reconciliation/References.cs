using System.Security.Cryptography;
using System.Text;
using Strata.ControlPlane.Deployments;
using Strata.Planning.State;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// The values a tier's launch takes from other tiers (their servers' addresses). Their digest is recorded on each
/// server at launch; when another tier's servers change address, the digest changes and dependents are replaced so
/// they see the new values.
/// </summary>
public static class References
{
    /// <summary>Every template a tier's launch is resolved from: run command, hooks, and image and tier environment.</summary>
    public static IEnumerable<Template> LaunchTemplates(DeploymentSpec spec, TierSpec tier)
    {
        var image = spec.FindImage(tier.Image);
        return tier.Env.Values.Concat(image?.Env.Values ?? []).Concat(image?.Hooks.Values ?? []).Append(image?.Run).OfType<Template>();
    }

    public static string DigestOf(DeploymentRuntime runtime, TierSpec tier) => DigestOf(runtime.Desired, runtime.State, tier);

    /// <summary>The digest of the values <paramref name="tier"/> takes from other tiers in <paramref name="state"/>.</summary>
    public static string DigestOf(DesiredDeployment desired, DeploymentState state, TierSpec tier)
    {
        var spec = desired.Spec;
        var templates = LaunchTemplates(spec, tier);
        var resolver = new RuntimeResolver(spec, desired.ParameterValues, state, null);
        var lines = templates
            .SelectMany(TemplateReferences.Of)
            .Where(r => r.Root == "tiers" && r.Expression.Segments.Count > 2 && r.Expression.Segments[2].Name == "servers")
            // A tier's own servers (cluster peers) change as it rolls; following them would replace it forever.
            .Where(r => r.Expression.Segments[1].Name != tier.Name)
            .Select(r => $"{r.Path}={resolver.Resolve(r.Expression)?.AsText()}")
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return lines.Count == 0 ? "" : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', lines))))[..16];
    }
}
