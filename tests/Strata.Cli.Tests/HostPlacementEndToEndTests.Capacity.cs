using System.Text.Json;
using Strata.Testing;

namespace Strata.Cli.Tests;

/// <summary>Reservations: a tier's <c>resources</c> held on the hosts its servers run on, within what their agents measured.</summary>
public sealed partial class HostPlacementEndToEndTests
{
    [Fact]
    public async Task Up_ResourcesAboveTheHostsCores_NoCapacityNamingCpuThenFittingResourcesRunAndHostsShowTheirUse()
    {
        await using var fleet = await HostFleetScenario.StartAsync(2);
        var strata = fleet.Strata;
        // Both hosts are this machine: their agents measure its cores.
        var cores = HostsJson(await strata.RunAsync(s_timeout, "hosts", "--json"))[0].GetProperty("capacity").GetProperty("cores").GetInt32();
        var spec = fleet.HelloSpec(new Dictionary<string, string>
        {
            ["servers: 3"] = "servers: 2",
            ["    ports: { http: 8000 }\n"] = $"    ports: {{ http: 8000 }}\n    resources: {{ cpu: {cores + 1}, memory: 64MiB }}\n",
        });

        var tooLarge = await strata.UpAsync(spec, "hello", "--no-wait");
        Assert.True(tooLarge.ExitCode == 0, tooLarge.ToString());
        string? message = null;
        await Eventually.WaitAsync(async () => (message = TierMessage(await strata.StatusAsync("hello"), "web")) is not null, "the tier reports why it does not launch");
        await File.WriteAllTextAsync(spec, (await File.ReadAllTextAsync(spec)).Replace($"cpu: {cores + 1},", $"cpu: {cores},", StringComparison.Ordinal));
        var fitting = await strata.UpAsync(spec, "hello");
        var listed = HostsJson(await strata.RunAsync(s_timeout, "hosts", "--json"));
        var table = await strata.RunAsync(s_timeout, "hosts");

        Assert.Equal(
            $"no capacity: tier 'web' reserves {cores + 1} CPU, 64 MiB memory per server, which no host it may use has free "
            + $"(h1: CPU, 0 of {cores} cores reserved; h2: CPU, 0 of {cores} cores reserved) (0 of the 2 new servers would fit)",
            message);
        Assert.True(fitting.ExitCode == 0, fitting.ToString());
        Assert.All(listed, h => Assert.Equal(
            (1, (double)cores, 64L << 20),
            (h.GetProperty("servers").GetInt32(), h.GetProperty("use").GetProperty("cpu").GetDouble(), h.GetProperty("use").GetProperty("memoryBytes").GetInt64())));
        Assert.Equal(2, table.Out.Split('\n').Count(line => line.Contains($" {cores}/{cores} ", StringComparison.Ordinal) && line.Contains("64.0 MiB/", StringComparison.Ordinal)));
    }

    private static List<JsonElement> HostsJson(CliResult hosts)
    {
        Assert.True(hosts.ExitCode == 0, hosts.ToString());
        return [.. JsonDocument.Parse(hosts.Out).RootElement.EnumerateArray().Select(h => h.Clone())];
    }
}
