using System.Text.Json.Serialization;
using Strata.Planning.Parameters;
using Strata.Planning.State;

namespace Strata.Planning;

/// <summary>What an apply will change, and against which state, spec and parameters it was made.</summary>
public sealed record Plan
{
    public required string DeploymentName { get; init; }

    /// <summary>The <see cref="DeploymentState.Serial"/> the plan was made against.</summary>
    public required long BaseSerial { get; init; }

    /// <summary>The <see cref="SpecDigests.Deployment(Strata.Spec.Model.DeploymentSpec)"/> of the planned spec.</summary>
    public required string SpecDigest { get; init; }

    /// <summary>The <see cref="Planning.Parameters.ParameterDigest"/> of the parameter values the plan was made with.</summary>
    public required string ParameterDigest { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Changes in the order apply makes them: creates and updates in dependency order, then deletes in reverse.</summary>
    public IReadOnlyList<ResourceChange> Changes { get; init; } = [];

    public IReadOnlyList<PlannedOutput> Outputs { get; init; } = [];

    /// <summary>Things that stop the plan from being applied, such as an unreadable image folder.</summary>
    public IReadOnlyList<PlanProblem> Problems { get; init; } = [];

    public required PlanSummary Summary { get; init; }

    [JsonIgnore]
    public bool HasChanges => Changes.Any(c => c.Action != ChangeAction.NoOp);

    [JsonIgnore]
    public bool HasProblems => Problems.Count > 0;

    /// <summary>
    /// Throws when the plan no longer describes what an apply would do: the deployment changed since (another apply,
    /// a scaling action), or the spec, an image or a parameter differs from what was planned.
    /// </summary>
    /// <exception cref="PlanOutOfDateException">The plan must be made again.</exception>
    public void EnsureApplicableTo(DeploymentState current, string specDigest, string parameterDigest)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (current.Name != DeploymentName)
        {
            throw new PlanOutOfDateException(
                $"this plan is for deployment '{DeploymentName}', not '{current.Name}'; run `strata plan` for it");
        }

        if (current.Serial != BaseSerial)
        {
            throw new PlanOutOfDateException(
                $"the deployment changed since this plan was made (serial {BaseSerial}, now {current.Serial}); run `strata plan` again");
        }

        if (!string.Equals(specDigest, SpecDigest, StringComparison.Ordinal))
        {
            throw new PlanOutOfDateException(
                "the spec or an image folder changed since this plan was made; run `strata plan` again");
        }

        if (!string.Equals(parameterDigest, ParameterDigest, StringComparison.Ordinal))
        {
            throw new PlanOutOfDateException(
                "the parameter values differ from those this plan was made with; run `strata plan` again");
        }

        if (HasProblems)
        {
            throw new PlanOutOfDateException($"this plan has {Problems.Count} problem(s) and cannot be applied: {Problems[0]}");
        }
    }
}

/// <summary>Counts of top-level resource changes. Servers and per-server volumes count with their tier and volume.</summary>
public sealed record PlanSummary(int Create, int Update, int Replace, int Delete)
{
    public static PlanSummary Of(IEnumerable<ResourceChange> changes)
    {
        int create = 0, update = 0, replace = 0, delete = 0;
        foreach (var change in changes)
        {
            _ = change.Action switch
            {
                ChangeAction.Create => create++,
                ChangeAction.Update => update++,
                ChangeAction.Replace => replace++,
                ChangeAction.Delete => delete++,
                _ => 0,
            };
        }

        return new PlanSummary(create, update, replace, delete);
    }
}

public enum ChangeAction { NoOp, Create, Update, Replace, Delete }

public enum ResourceKind { Image, Tier, Server, LoadBalancer, Volume, FirewallRule }

/// <summary>One resource's change. Tiers carry their servers, and volumes their per-server volumes, as children.</summary>
public sealed record ResourceChange
{
    /// <summary>Where the resource is, e.g. <c>tiers.web</c>, <c>tiers.web.servers[hello-web-k3x9a1]</c>, <c>volumes.db.data</c>.</summary>
    public required string Address { get; init; }

    public required ResourceKind Kind { get; init; }

    public required ChangeAction Action { get; init; }

    /// <summary>Why, for people: <c>image changed: rolling replacement of 3 servers</c>.</summary>
    public string? Reason { get; init; }

    /// <summary>The generated name, for resources that have one (servers, load balancers, physical volumes).</summary>
    public string? PhysicalName { get; init; }

    /// <summary>Values before and after, for display; unknown values read <c>(known after apply)</c>, secrets <c>(secret)</c>.</summary>
    public IReadOnlyList<AttributeChange> Attributes { get; init; } = [];

    public IReadOnlyList<ResourceChange> Children { get; init; } = [];
}

/// <summary>An attribute's value before and after; null where it does not exist on that side.</summary>
public sealed record AttributeChange(string Name, string? Before, string? After)
{
    /// <summary>Shown in place of a value that only exists once the resource runs, such as an address.</summary>
    public const string KnownAfterApply = "(known after apply)";

    /// <summary>Shown in place of a secret value.</summary>
    public const string Secret = "(secret)";

    [JsonIgnore]
    public bool IsChanged => !string.Equals(Before, After, StringComparison.Ordinal);
}

/// <summary>An output as the plan can show it: its value, or <c>(known after apply)</c> / <c>(secret)</c>.</summary>
public sealed record PlannedOutput(string Name, string Value);

/// <summary>Something wrong with one resource that stops the plan from being applied.</summary>
public sealed record PlanProblem(string Address, string Message)
{
    public override string ToString() => $"{Address}: {Message}";
}

/// <summary>A saved plan no longer matches the deployment, spec or parameters; the message says which and what to do.</summary>
public sealed class PlanOutOfDateException(string message) : Exception(message);
