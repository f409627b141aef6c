using Strata.Planning.State;
using Strata.Spec.Interpolation;
using Strata.Spec.Model;

namespace Strata.Planning.Tiers;

/// <summary>
/// Tiers in dependency order: a tier comes after the tiers it needs first (<see cref="TierDependencies"/>: those it
/// names in <c>dependsOn</c> or whose servers it refers to). Ties keep file order; a cycle (which spec validation
/// reports) falls back to file order.
/// </summary>
public static class TierOrder
{
    /// <summary>The spec's tiers, each after the tiers it needs first.</summary>
    public static IReadOnlyList<TierSpec> Of(DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Sort(spec, null);
    }

    internal static IReadOnlyList<TierSpec> Sort(DeploymentSpec spec, IReadOnlyList<string>? given)
    {
        var byName = new Dictionary<string, TierSpec>(StringComparer.Ordinal);
        foreach (var tier in spec.Tiers)
        {
            byName.TryAdd(tier.Name, tier);
        }

        if (given is not null)
        {
            var names = given.Where(byName.ContainsKey).Distinct().ToList();
            var named = names.ToHashSet(StringComparer.Ordinal);
            return [.. names.Select(n => byName[n]), .. spec.Tiers.Where(t => !named.Contains(t.Name))];
        }

        var order = new List<TierSpec>(spec.Tiers.Count);
        var marks = new Dictionary<string, bool>(StringComparer.Ordinal); // false: visiting, true: done
        foreach (var tier in spec.Tiers)
        {
            if (!Visit(spec, tier, byName, marks, order))
            {
                return spec.Tiers;
            }
        }

        return order;
    }

    private static bool Visit(
        DeploymentSpec spec, TierSpec tier, Dictionary<string, TierSpec> byName, Dictionary<string, bool> marks, List<TierSpec> order)
    {
        if (marks.TryGetValue(tier.Name, out var done))
        {
            return done;
        }

        marks[tier.Name] = false;
        foreach (var dependency in TierDependencies.Of(spec, tier))
        {
            if (byName.TryGetValue(dependency, out var next) && !Visit(spec, next, byName, marks, order))
            {
                return false;
            }
        }

        marks[tier.Name] = true;
        order.Add(tier);
        return true;
    }

    /// <summary>
    /// The tiers <paramref name="tier"/> needs first (<see cref="TierDependencies.Of"/>). The runtime records them in
    /// <see cref="TierState.DependsOn"/>.
    /// </summary>
    public static IReadOnlyList<string> DependenciesOf(DeploymentSpec spec, TierSpec tier)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tier);
        return TierDependencies.Of(spec, tier);
    }

    /// <summary>Tiers of a state in the order they can be deleted: a tier before those it depends on.</summary>
    internal static IEnumerable<TierState> DeletionOrder(IReadOnlyList<TierState> tiers)
    {
        var byName = tiers.GroupBy(t => t.LogicalName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var order = new List<TierState>(tiers.Count);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tier in tiers)
        {
            VisitState(tier, byName, visited, order);
        }

        order.Reverse();
        return order;
    }

    private static void VisitState(TierState tier, Dictionary<string, TierState> byName, HashSet<string> visited, List<TierState> order)
    {
        // Cycles cannot be launched, so a state never holds one; the visited set keeps a damaged state from looping.
        if (!visited.Add(tier.LogicalName))
        {
            return;
        }

        foreach (var dependency in tier.DependsOn)
        {
            if (byName.TryGetValue(dependency, out var next))
            {
                VisitState(next, byName, visited, order);
            }
        }

        order.Add(tier);
    }
}
