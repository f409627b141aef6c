using System.Text.Json.Nodes;

namespace Strata.Agent.Tests;

[Trait("kind", "unit")]
public sealed class AgentBundleTests
{
    // Switches the SDK sets by build configuration, not by the agent's project (a Release build turns hot reload off).
    private static readonly HashSet<string> s_perConfiguration = ["System.Reflection.Metadata.MetadataUpdater.IsSupported"];

    /// <summary>
    /// The control plane writes the agent's runtime configuration on each host itself; a setting of the agent's
    /// project that reached only the build's own file (as tiering off once did) would never run on a host.
    /// </summary>
    [Fact]
    public void RuntimeConfig_CarriesEverySettingOfTheAgentsOwnBuild()
    {
        var built = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, AgentBundle.RuntimeConfigName)))!["runtimeOptions"]!;
        var written = JsonNode.Parse(AgentBundle.RuntimeConfig())!["runtimeOptions"]!;

        var properties = built["configProperties"]!.AsObject();
        Assert.Contains("System.Runtime.TieredCompilation", properties.Select(p => p.Key));
        foreach (var (name, value) in properties.Where(p => !s_perConfiguration.Contains(p.Key)))
        {
            Assert.True(JsonNode.DeepEquals(value, written["configProperties"]?[name]), $"{name}: the agent's build says {value}, the configuration written on hosts {written["configProperties"]?[name]}");
        }

        Assert.True(JsonNode.DeepEquals(built["frameworks"], written["frameworks"]));
    }
}
