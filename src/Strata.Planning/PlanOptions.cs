using Strata.Planning.Images;
using Strata.Planning.Parameters;
using Strata.Planning.Tiers;
using Strata.Spec.Model;

namespace Strata.Planning;

/// <summary>Inputs of <see cref="Planner.Plan"/> besides the spec and the state.</summary>
public sealed class PlanOptions
{
    /// <summary>The clock that stamps <see cref="Plan.CreatedAt"/>. The default is <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The random source of generated name suffixes. The default is an unseeded <see cref="Random"/>.</summary>
    public Random? Random { get; init; }

    /// <summary>The <see cref="Planning.Parameters.ParameterDigest"/> of the parameter values. The default is empty.</summary>
    public string ParameterDigest { get; init; } = "";

    /// <summary>
    /// Digests an image source folder. The default is <see cref="ImageDigest.Compute(string)"/>; a caller that has
    /// already digested the folders can pass a cached lookup.
    /// </summary>
    public Func<string, string> ComputeImageDigest { get; init; } = ImageDigest.Compute;

    /// <summary>
    /// Shows a spec value in the plan. The default shows plain text as is, a value that refers to a secret parameter
    /// as <c>(secret)</c> and any other unknown value as <c>(known after apply)</c>, through the spec's template evaluator.
    /// </summary>
    public Func<Template, string>? DisplayValue { get; init; }

    /// <summary>
    /// The order tiers are created in (names), from the spec's dependency graph. The default is computed from
    /// <c>dependsOn</c> and <c>${tiers.X…}</c> references, falling back to file order.
    /// </summary>
    public IReadOnlyList<string>? TierOrder { get; init; }

    /// <summary>
    /// Where each tier's new servers would be placed, in order, when hosts are registered; the plan shows each new
    /// server's host (and takes its zone), and <c>(no capacity)</c> for new servers beyond a tier's list. A load balancer
    /// with placement has its host under <c>loadBalancers.NAME</c> (no tier has a dot in its name). The default is
    /// null: no hosts, servers run on the control plane's machine.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<PlannedHost>>? Hosts { get; init; }

    /// <summary>The zone of servers of tiers that name none. The default is <c>local-a</c>.</summary>
    public string DefaultZone { get; init; } = "local-a";
}

/// <summary>A host a new server would be placed on, and the host's zone.</summary>
public sealed record PlannedHost(string Name, string Zone);
