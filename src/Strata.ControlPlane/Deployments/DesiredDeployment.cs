using Strata.Planning.Images;
using Strata.Planning.State;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;
using Strata.Spec.Parameters;

namespace Strata.ControlPlane.Deployments;

/// <summary>
/// A spec as applied: the loaded spec, the parameter values given (secrets included) and the source digest of every
/// image folder. Immutable; a new apply makes a new one.
/// </summary>
public sealed record DesiredDeployment
{
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

    public string LaunchDigest(TierSpec tier) => SpecDigests.Launch(tier, Spec.FindImage(tier.Image)!, Spec.ResolvedParameters);

    public string ImageDigest(TierSpec tier) => ImageDigests.TryGetValue(tier.Image, out var digest) ? digest : "";
}
