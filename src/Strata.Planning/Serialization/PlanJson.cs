using System.Text.Json;
using System.Text.Json.Serialization;
using Strata.Planning.SavedPlans;
using Strata.Planning.State;

namespace Strata.Planning.Serialization;

/// <summary>
/// JSON of plans and deployment states: camelCase, enums as strings, through source generation (no reflection).
/// The control plane stores and transmits <see cref="DeploymentState"/> with the same context.
/// </summary>
public static class PlanJson
{
    public static string Serialize(Plan plan) => JsonSerializer.Serialize(plan, PlanJsonContext.Default.Plan);

    public static Plan DeserializePlan(string json) =>
        JsonSerializer.Deserialize(json, PlanJsonContext.Default.Plan) ?? throw new JsonException("The JSON holds null, not a plan.");

    public static void Serialize(Stream stream, Plan plan) => JsonSerializer.Serialize(stream, plan, PlanJsonContext.Default.Plan);

    public static string Serialize(DeploymentState state) => JsonSerializer.Serialize(state, PlanJsonContext.Default.DeploymentState);

    public static DeploymentState DeserializeState(string json) =>
        JsonSerializer.Deserialize(json, PlanJsonContext.Default.DeploymentState)
        ?? throw new JsonException("The JSON holds null, not a deployment state.");
}

/// <summary>The source-generated serializer context of plans, saved plans and deployment states.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Plan))]
[JsonSerializable(typeof(SavedPlanDocument))]
[JsonSerializable(typeof(DeploymentState))]
public sealed partial class PlanJsonContext : JsonSerializerContext;
