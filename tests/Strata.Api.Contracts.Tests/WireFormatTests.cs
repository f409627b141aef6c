using System.Text.Json;
using Strata.Api.Contracts.Agent;
using Strata.Api.Contracts.Events;

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

    [Fact]
    public void DeploymentEvent_AsTheEventStreamServesIt_CarriesKindAndFieldsByName()
    {
        var served = new DeploymentEvent
        {
            Id = 7, Deployment = "shop", Time = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero), Kind = EventKinds.ServerState,
            Resource = "tiers.web.servers[shop-web-k3x9a1]", Message = "shop-web-k3x9a1 is in service", Tier = "web", Server = "shop-web-k3x9a1",
            FromState = ServerPhase.Booting, ToState = ServerPhase.InService,
        };

        var json = JsonSerializer.Serialize(served, ApiJsonContext.Default.DeploymentEvent);

        const string expected = """{"id":7,"deployment":"shop","time":"2026-03-01T12:00:00+00:00","kind":"server.state","resource":"tiers.web.servers[shop-web-k3x9a1]","severity":"Info","message":"shop-web-k3x9a1 is in service","tier":"web","server":"shop-web-k3x9a1","fromState":"Booting","toState":"InService","rollback":null}""";
        Assert.Equal(expected, json);
        Assert.Equal(served, JsonSerializer.Deserialize(json, ApiJsonContext.Default.DeploymentEvent));
    }

    [Fact]
    public void DeploymentEvent_WithADefaultContext_StillWritesStatesAndRollbackByName()
    {
        // The CLI's --json output writes other enums as numbers; the fields that programs match on keep their names.
        var rollback = new DeploymentEvent
        {
            Deployment = "shop", Time = DateTimeOffset.UnixEpoch, Kind = EventKinds.DeploymentRollback, Message = "rolled back",
            ToState = ServerPhase.Failed, Rollback = RollbackResult.NoPreviousApply,
        };

        var json = JsonSerializer.Serialize(rollback, PlainJsonContext.Default.DeploymentEvent);

        Assert.Contains("\"ToState\":\"Failed\"", json);
        Assert.Contains("\"Rollback\":\"NoPreviousApply\"", json);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(DeploymentEvent))]
internal sealed partial class PlainJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
