using System.Collections.Concurrent;
using Strata.Planning.Images;
using Strata.Planning.State;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using Strata.Spec.Parameters;
using Strata.Spec.Validation;

namespace Strata.ControlPlane.Deployments;

/// <summary>
/// A spec as applied: the loaded spec, the parameter values given (secrets included) and the source digest of every
/// image folder. Immutable; a new apply makes a new one.
/// </summary>
public sealed record DesiredDeployment
{
    public DesiredDeployment()
    {
    }

    /// <summary>
    /// The copy <c>with</c> makes: the declared values only. What this one worked out from its spec (digests, order,
    /// references) stays behind, as a copy may be given another spec or other parameters.
    /// </summary>
    private DesiredDeployment(DesiredDeployment original)
    {
        Spec = original.Spec;
        SpecPath = original.SpecPath;
        SpecText = original.SpecText;
        Parameters = original.Parameters;
        ImageDigests = original.ImageDigests;
        _launchDigests = new(ReferenceEqualityComparer.Instance);
        _serverReferences = new(ReferenceEqualityComparer.Instance);
    }

    public required DeploymentSpec Spec { get; init; }

    public required string SpecPath { get; init; }

    public required string SpecText { get; init; }

    public required IReadOnlyDictionary<string, string> Parameters { get; init; }

    /// <summary>Source digests of the image folders by image name (see <see cref="ImageDigest"/>).</summary>
    public required IReadOnlyDictionary<string, string> ImageDigests { get; init; }

    /// <summary>Parameters as template values, secrets marked so they never reach a printed value.</summary>
    public IReadOnlyDictionary<string, ReferenceValue> ParameterValues => _parameterValues ??= ReferenceResolver.Parameters(Spec);

    private IReadOnlyDictionary<string, ReferenceValue>? _parameterValues;

    /// <summary>This spec as it is stored, to be restored for a rollback.</summary>
    public State.AppliedInput ToInput() => new(SpecPath, SpecText, Parameters, ImageDigests);

    /// <summary>
    /// The digest of how a tier's servers are launched. Kept once computed: the spec does not change, and every pass
    /// and every audit asks it of each server (hashing the whole launch each time was a third of an idle pass).
    /// </summary>
    public string LaunchDigest(TierSpec tier) =>
        _launchDigests.GetOrAdd(tier, static (t, spec) => SpecDigests.Launch(t, spec.FindImage(t.Image)!, spec.ResolvedParameters), Spec);

    private readonly ConcurrentDictionary<TierSpec, string> _launchDigests = new(ReferenceEqualityComparer.Instance);

    /// <summary>The tiers in dependency order: a tier comes after the tiers whose servers it refers to. Kept, as the digests are.</summary>
    public IReadOnlyList<TierSpec> OrderedTiers => _orderedTiers ??=
    [
        .. DependencyGraph.ResourceOrder(Spec)
            .Where(r => r.StartsWith("tiers.", StringComparison.Ordinal))
            .Select(r => Spec.FindTier(r["tiers.".Length..]))
            .OfType<TierSpec>(),
    ];

    private IReadOnlyList<TierSpec>? _orderedTiers;

    /// <summary>What a tier's templates read of other tiers' servers (<see cref="TierDependencies.ServerReferencesOf"/>), parsed once.</summary>
    public IReadOnlyList<(string Tier, TemplateReference Reference)> ServerReferencesOf(TierSpec tier) =>
        _serverReferences.GetOrAdd(tier, static (t, spec) => [.. TierDependencies.ServerReferencesOf(t, spec.FindImage(t.Image))], Spec);

    private readonly ConcurrentDictionary<TierSpec, IReadOnlyList<(string, TemplateReference)>> _serverReferences = new(ReferenceEqualityComparer.Instance);

    public string ImageDigest(TierSpec tier) => ImageDigests.TryGetValue(tier.Image, out var digest) ? digest : "";
}
