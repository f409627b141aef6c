using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.LoadBalancing.Proxy;

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProxyConfig))]
[JsonSerializable(typeof(ProxyStateDocument))]
[JsonSerializable(typeof(MembersDocument))]
[JsonSerializable(typeof(HealthDocument))]
[JsonSerializable(typeof(Strata.LoadBalancing.HaProxy.HaProxyStateDocument))]
[JsonSerializable(typeof(LoadBalancerStats))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))]
internal sealed partial class LoadBalancingJsonContext : JsonSerializerContext;
