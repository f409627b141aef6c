using Strata.Spec.Interpolation;
using Strata.Spec.Loading;
using Strata.Spec.Model;

namespace Strata.Spec.Validation;

/// <summary>
/// The order resources must be created in. Nodes are named <c>images.web</c>, <c>tiers.db</c>,
/// <c>loadBalancers.front</c>. A tier comes after its image, after every tier whose servers it references
/// (<c>${tiers.db.servers[0].address}</c>) or lists in <c>dependsOn</c>; a load balancer comes after its target tier.
/// </summary>
public sealed class DependencyGraph
{
    private readonly Dictionary<string, int> _index;
    private readonly List<(int To, SourceLocation Location)>[] _dependencies;

    internal DependencyGraph(IReadOnlyList<string> nodes, IEnumerable<DependencyEdge> edges)
    {
        Nodes = nodes;
        _index = new Dictionary<string, int>(nodes.Count, StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            _index.TryAdd(nodes[i], i);
        }

        _dependencies = [.. nodes.Select(_ => new List<(int, SourceLocation)>())];
        foreach (var edge in edges)
        {
            if (_index.TryGetValue(edge.From, out var from) && _index.TryGetValue(edge.To, out var to) && from != to)
            {
                _dependencies[from].Add((to, edge.Location));
            }
        }
    }

    /// <summary>Every resource, in the order the file declares them.</summary>
    public IReadOnlyList<string> Nodes { get; }

    public static DependencyGraph Build(DeploymentSpec spec) => new(NodesOf(spec), EdgesOf(spec));

    /// <summary>Resources in creation order; among independent resources the file's order is kept.</summary>
    public static IReadOnlyList<string> ResourceOrder(DeploymentSpec spec) => Build(spec).Order();

    /// <summary>What <paramref name="node"/> needs created first.</summary>
    public IReadOnlyList<string> DependenciesOf(string node) =>
        _index.TryGetValue(node, out var i) ? [.. _dependencies[i].Select(d => Nodes[d.To]).Distinct()] : [];

    /// <summary>A topological order; resources caught in a cycle come last, in file order.</summary>
    public IReadOnlyList<string> Order()
    {
        var waiting = new int[Nodes.Count];
        var dependents = Nodes.Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < Nodes.Count; i++)
        {
            foreach (var to in _dependencies[i].Select(d => d.To).Distinct())
            {
                waiting[i]++;
                dependents[to].Add(i);
            }
        }

        var ready = new SortedSet<int>(Enumerable.Range(0, Nodes.Count).Where(i => waiting[i] == 0));
        var order = new List<string>(Nodes.Count);
        var done = new bool[Nodes.Count];
        while (ready.Count > 0)
        {
            var next = ready.Min;
            ready.Remove(next);
            order.Add(Nodes[next]);
            done[next] = true;
            foreach (var dependent in dependents[next])
            {
                if (--waiting[dependent] == 0)
                {
                    ready.Add(dependent);
                }
            }
        }

        order.AddRange(Enumerable.Range(0, Nodes.Count).Where(i => !done[i]).Select(i => Nodes[i]));
        return order;
    }

    /// <summary>Every cycle found, each as its path (first node repeated at the end) and where its first edge is written.</summary>
    public IReadOnlyList<(IReadOnlyList<string> Path, SourceLocation Location)> FindCycles()
    {
        var cycles = new List<(IReadOnlyList<string>, SourceLocation)>();
        var state = new byte[Nodes.Count]; // 0 unvisited, 1 on the stack, 2 finished
        for (var root = 0; root < Nodes.Count; root++)
        {
            if (state[root] == 0)
            {
                Visit(root, state, cycles);
            }
        }

        return cycles;
    }

    /// <summary>Depth-first search without recursion, so a long chain of tiers cannot overflow the stack.</summary>
    private void Visit(int root, byte[] state, List<(IReadOnlyList<string>, SourceLocation)> cycles)
    {
        var stack = new List<(int Node, int Next)> { (root, 0) };
        state[root] = 1;
        while (stack.Count > 0)
        {
            var (node, next) = stack[^1];
            if (next == _dependencies[node].Count)
            {
                state[node] = 2;
                stack.RemoveAt(stack.Count - 1);
                continue;
            }

            stack[^1] = (node, next + 1);
            var to = _dependencies[node][next].To;
            if (state[to] == 0)
            {
                state[to] = 1;
                stack.Add((to, 0));
            }
            else if (state[to] == 1)
            {
                var start = stack.FindIndex(f => f.Node == to);
                var path = stack.Skip(start).Select(f => Nodes[f.Node]).Append(Nodes[to]).ToList();
                var firstEdge = _dependencies[to][stack[start].Next - 1].Location;
                cycles.Add((path, to == node ? _dependencies[node][next].Location : firstEdge));
            }
        }
    }

    private static List<string> NodesOf(DeploymentSpec spec) =>
    [
        .. spec.Images.Select(i => "images." + i.Name),
        .. spec.Tiers.Select(t => "tiers." + t.Name),
        .. spec.LoadBalancers.Select(l => "loadBalancers." + l.Name),
    ];

    private static IEnumerable<DependencyEdge> EdgesOf(DeploymentSpec spec)
    {
        var images = spec.Images.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var tier in spec.Tiers)
        {
            var from = "tiers." + tier.Name;
            yield return new DependencyEdge(from, "images." + tier.Image, tier.Location);
            foreach (var other in tier.DependsOn)
            {
                yield return new DependencyEdge(from, "tiers." + other, tier.Location);
            }

            foreach (var (other, reference) in TierDependencies.ServerReferencesOf(tier, images.GetValueOrDefault(tier.Image)))
            {
                yield return new DependencyEdge(from, "tiers." + other, reference.Location);
            }
        }

        foreach (var balancer in spec.LoadBalancers)
        {
            yield return new DependencyEdge("loadBalancers." + balancer.Name, "tiers." + balancer.TargetTier, balancer.Location);
        }
    }
}
