using BenchmarkDotNet.Attributes;
using Strata.Planning;
using Strata.Planning.State;
using Strata.Spec.Loading;
using Strata.Spec.Parameters;

namespace Strata.Bench;

/// <summary>Parse, validate and plan a spec of 1,000 tiers × 10 servers against an empty state.</summary>
[MemoryDiagnoser]
public class PlanBenchmark
{
    public const int Tiers = 1000;
    public const int ServersPerTier = 10;

    private string _folder = "";
    private string _spec = "";

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"strata-bench-{Guid.NewGuid():N}");
        _spec = SpecGenerator.Write(_folder, Tiers, ServersPerTier);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [Benchmark]
    public Plan LoadAndPlan() => Run(_spec);

    /// <summary>The measured work: load (parse and validate) the file, then plan against an empty state.</summary>
    public static Plan Run(string specPath)
    {
        var loaded = SpecLoader.Load(specPath, ParameterValues.Empty);
        if (loaded.Spec is not { } spec)
        {
            throw new InvalidOperationException("The generated spec does not load: " + string.Join("; ", loaded.Errors.Take(5)));
        }

        var plan = Planner.Plan(spec, DeploymentState.Empty(spec.Name), new PlanOptions { Random = new Random(1) });
        return plan.HasProblems
            ? throw new InvalidOperationException("The plan has problems: " + string.Join("; ", plan.Problems.Take(5)))
            : plan;
    }
}
