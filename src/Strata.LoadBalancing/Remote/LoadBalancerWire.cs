using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.LoadBalancing.Remote;

/// <summary>The instance and the full list of members of a call that replaces a load balancer's members.</summary>
public sealed record SetMembersBody(LoadBalancerInstance Instance, IReadOnlyList<Member> Members);

/// <summary>
/// The drivers' records as JSON, for a driver run by the agent of a host (the agent protocol carries them as opaque
/// bodies): one context for both ends, so that what one side writes the other reads.
/// </summary>
public static class LoadBalancerWire
{
    public static JsonElement Write(LoadBalancerDefinition value) => JsonSerializer.SerializeToElement(value, LoadBalancerWireJsonContext.Default.LoadBalancerDefinition);

    public static JsonElement Write(LoadBalancerInstance value) => JsonSerializer.SerializeToElement(value, LoadBalancerWireJsonContext.Default.LoadBalancerInstance);

    public static JsonElement Write(SetMembersBody value) => JsonSerializer.SerializeToElement(value, LoadBalancerWireJsonContext.Default.SetMembersBody);

    public static JsonElement Write(IReadOnlyList<MemberStatus> value) => JsonSerializer.SerializeToElement(value, LoadBalancerWireJsonContext.Default.IReadOnlyListMemberStatus);

    public static JsonElement Write(LoadBalancerStats value) => JsonSerializer.SerializeToElement(value, LoadBalancerWireJsonContext.Default.LoadBalancerStats);

    public static JsonElement Write(IReadOnlyList<string> value) => JsonSerializer.SerializeToElement(value, LoadBalancerWireJsonContext.Default.IReadOnlyListString);

    public static LoadBalancerDefinition ReadDefinition(JsonElement? body) => Read(body, LoadBalancerWireJsonContext.Default.LoadBalancerDefinition);

    public static LoadBalancerInstance ReadInstance(JsonElement? body) => Read(body, LoadBalancerWireJsonContext.Default.LoadBalancerInstance);

    public static SetMembersBody ReadSetMembers(JsonElement? body) => Read(body, LoadBalancerWireJsonContext.Default.SetMembersBody);

    public static IReadOnlyList<MemberStatus> ReadStatuses(JsonElement? body) => Read(body, LoadBalancerWireJsonContext.Default.IReadOnlyListMemberStatus);

    public static LoadBalancerStats ReadStats(JsonElement? body) => Read(body, LoadBalancerWireJsonContext.Default.LoadBalancerStats);

    public static IReadOnlyList<string> ReadNames(JsonElement? body) => Read(body, LoadBalancerWireJsonContext.Default.IReadOnlyListString);

    private static T Read<T>(JsonElement? body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        body is { ValueKind: not JsonValueKind.Null } element
            ? element.Deserialize(type) ?? throw new InvalidDataException($"the {typeof(T).Name} sent is empty")
            : throw new InvalidDataException($"a {typeof(T).Name} was expected and none was sent");
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LoadBalancerDefinition))]
[JsonSerializable(typeof(LoadBalancerInstance))]
[JsonSerializable(typeof(SetMembersBody))]
[JsonSerializable(typeof(IReadOnlyList<MemberStatus>))]
[JsonSerializable(typeof(LoadBalancerStats))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class LoadBalancerWireJsonContext : JsonSerializerContext;
