using System.Diagnostics;
using BenchmarkDotNet.Running;
using Strata.Bench;

// `--quick` times one run and reports wall time and peak working set, in seconds rather than minutes;
// anything else goes to BenchmarkDotNet (e.g. `--filter *`).
if (args.Contains("--quick"))
{
    var folder = Path.Combine(Path.GetTempPath(), $"strata-bench-{Guid.NewGuid():N}");
    try
    {
        var spec = SpecGenerator.Write(folder, PlanBenchmark.Tiers, PlanBenchmark.ServersPerTier);
        var watch = Stopwatch.StartNew();
        var plan = PlanBenchmark.Run(spec);
        watch.Stop();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var servers = plan.Changes.Where(c => c.Kind == Strata.Planning.ResourceKind.Tier).Sum(c => c.Children.Count);
        Console.WriteLine($"tiers: {PlanBenchmark.Tiers}, servers: {servers}, changes: {plan.Changes.Count}");
        Console.WriteLine($"load + validate + plan: {watch.Elapsed.TotalMilliseconds:0} ms");
        Console.WriteLine($"peak working set: {process.PeakWorkingSet64 / (1024 * 1024)} MiB");
        return 0;
    }
    finally
    {
        Directory.Delete(folder, recursive: true);
    }
}

BenchmarkSwitcher.FromAssembly(typeof(PlanBenchmark).Assembly).Run(args);
return 0;
