using System.Text.Json;
using Strata.Api.Contracts.Agent;

namespace Strata.Api.Contracts.Tests;

/// <summary>What travels between the control plane and its clients: both sides serialize with these contexts.</summary>
[Trait("kind", "unit")]
public sealed class WireFormatTests
{
    [Fact]
    public void Contracts_DependOnNoOtherStrataAssembly()
    {
        var strata = typeof(ApiJsonContext).Assembly.GetReferencedAssemblies().Where(a => a.Name!.StartsWith("Strata.", StringComparison.Ordinal));

        Assert.Empty(strata);
    }

    [Fact]
    public void DeploymentSummary_Phase_TravelsAsItsName()
    {
        var json = JsonSerializer.Serialize<IReadOnlyList<DeploymentSummaryDto>>(
            [new DeploymentSummaryDto("hello", DeploymentPhase.AwaitingPromotion, 3, 1, 7)], ApiJsonContext.Default.IReadOnlyListDeploymentSummaryDto);

        Assert.Equal("""[{"name":"hello","phase":"AwaitingPromotion","servers":3,"inService":1,"serial":7}]""", json);
        Assert.Equal(DeploymentPhase.AwaitingPromotion, JsonSerializer.Deserialize(json, ApiJsonContext.Default.IReadOnlyListDeploymentSummaryDto)![0].Phase);
    }

    [Fact]
    public void BackupStreamLine_Progress_CarriesNoEmptyResults()
    {
        var line = new BackupStreamLine { Type = "progress", Progress = new BackupProgressDto(2, 4096, 1, 3, 1024) };

        var json = JsonSerializer.Serialize(line, BackupJsonContext.Default.BackupStreamLine);

        Assert.Equal("""{"type":"progress","progress":{"filesRead":2,"bytesRead":4096,"chunksUploaded":1,"chunksReused":3,"bytesUploaded":1024}}""", json);
        Assert.Equal(line, JsonSerializer.Deserialize(json, BackupJsonContext.Default.BackupStreamLine));
    }

    [Fact]
    public void Problem_AsTheApiWritesIt_ReadsDetailAndEveryError()
    {
        const string json = """{"type":"about:blank","title":"invalid spec","status":422,"detail":"the spec is invalid (2 errors)","errors":["a.yaml:1:1: error: one","a.yaml:2:1: error: two"]}""";

        var problem = JsonSerializer.Deserialize(json, ApiJsonContext.Default.ProblemDto)!;

        Assert.Equal(422, problem.Status);
        Assert.Equal("the spec is invalid (2 errors)", problem.Detail);
        Assert.Equal(["a.yaml:1:1: error: one", "a.yaml:2:1: error: two"], problem.Errors);
    }

    [Fact]
    public void AgentMessages_OneCompactObjectPerLine_TypedByTheirTypeField()
    {
        AgentMessage hello = new AgentHello { Version = "0.1.0", Hostname = "web1", Cores = 2, MemoryBytes = 4096, DiskBytes = 8192, DiskFreeBytes = 1024 };

        var json = JsonSerializer.Serialize(hello, AgentJsonContext.Default.AgentMessage);

        Assert.Equal("""{"type":"hello","version":"0.1.0","hostname":"web1","cores":2,"memoryBytes":4096,"diskBytes":8192,"diskFreeBytes":1024}""", json);
        Assert.Equal(hello, JsonSerializer.Deserialize(json, AgentJsonContext.Default.AgentMessage));
        Assert.Equal(new AgentHeartbeat { Sequence = 7 }, JsonSerializer.Deserialize("""{"type":"heartbeat","sequence":7}""", AgentJsonContext.Default.AgentMessage));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"type":"reboot"}""", AgentJsonContext.Default.AgentMessage));
    }
}
