using System.Security.Cryptography;
using System.Text;
using Strata.ControlPlane.Deployments;
using Strata.Planning.State;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.ControlPlane.Reconciliation;

/// <summary>
/// The values a tier's servers take from other tiers' servers (their addresses, names), in every template resolved
/// for them (<see cref="TierDependencies"/>; a health command is resolved once per server too). Their digest is
/// recorded on each server at launch; when another tier's servers change, the digest changes and dependents are
/// replaced so they see the new values. A tier's own servers (cluster peers) are not followed: they change as it rolls,
/// and following them would replace it forever.
/// </summary>
public static class References
{
    public static string DigestOf(DeploymentRuntime runtime, TierSpec tier) => DigestOf(runtime.Desired, runtime.State, tier);

    /// <summary>The digest of the values <paramref name="tier"/> takes from other tiers in <paramref name="state"/>.</summary>
    public static string DigestOf(DesiredDeployment desired, DeploymentState state, TierSpec tier)
    {
        var references = desired.ServerReferencesOf(tier);
        if (references.Count == 0)
        {
            // Most tiers take nothing from others: a resolver over the whole state, built for each of a deployment's
            // tiers on every pass, was the largest cost of an idle control plane with 40 tiers.
            return "";
        }

        var resolver = LiveReferences.Resolver(desired.Spec, state);
        var lines = references
            .Select(r => $"{r.Reference.Path}={resolver.Resolve(r.Reference.Expression)?.AsText()}")
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return lines.Count == 0 ? "" : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', lines))))[..16];
    }
}
