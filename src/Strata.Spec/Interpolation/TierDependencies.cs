using Strata.Spec.Model;

namespace Strata.Spec.Interpolation;

/// <summary>
/// The tiers a tier needs before its servers launch, as docs/spec.md (Ordering) defines them: those it lists in
/// <c>dependsOn</c> and those whose servers its templates read (its <c>env</c> and health <c>command</c>, its image's
/// <c>run</c>, <c>env</c> and hooks). A port (<c>tiers.db.ports.postgres</c>) is in the spec and makes no dependency.
/// Spec validation, plan order and the control plane's launch gate all ask here, so that they agree.
/// </summary>
public static class TierDependencies
{
    /// <summary>Every template evaluated for a server of <paramref name="tier"/>, in the order a spec is read.</summary>
    public static IEnumerable<Template> TemplatesOf(TierSpec tier, ImageSpec? image)
    {
        var templates = tier.Env.Values.AsEnumerable();
        if (tier.Health?.Command is { } command)
        {
            templates = templates.Append(command);
        }

        return image is null ? templates : templates.Append(image.Run).Concat(image.Env.Values).Concat(image.Hooks.Values);
    }

    /// <summary>The references to another tier's servers in <paramref name="tier"/>'s templates, with the tier each reads.</summary>
    public static IEnumerable<(string Tier, TemplateReference Reference)> ServerReferencesOf(TierSpec tier, ImageSpec? image) =>
        TemplatesOf(tier, image)
            .SelectMany(TemplateReferences.Of)
            .Select(r => (Tier: Reference.Parse(r.Expression)?.ServersOf, Reference: r))
            // A tier may read its own servers (cluster peers); that orders nothing.
            .Where(r => r.Tier is not null && r.Tier != tier.Name)
            .Select(r => (r.Tier!, r.Reference));

    /// <summary>The tiers of <paramref name="spec"/> that <paramref name="tier"/> needs first: <c>dependsOn</c>, then those it reads, each once.</summary>
    public static IReadOnlyList<string> Of(DeploymentSpec spec, TierSpec tier) =>
        [.. tier.DependsOn
            .Concat(ServerReferencesOf(tier, spec.FindImage(tier.Image)).Select(r => r.Tier))
            .Where(t => t != tier.Name && spec.FindTier(t) is not null)
            .Distinct(StringComparer.Ordinal)];
}
